"""The topic graph as data: STAGES describes a connected pipeline that topic_graph can host."""

from __future__ import annotations

from newswire.settings import load_settings
from newswire.topics import STAGES, Role, single_partition_roles, topic_graph


def test_stages_form_one_pipeline_in_data_flow_order() -> None:
    produced: set[Role] = set()
    for stage in STAGES:
        if stage.input is not None:
            assert stage.input in produced, f"{stage.name} reads {stage.input}, which no earlier stage writes"
        produced.update(stage.outputs)
    assert produced == set(Role), "every topic is written by some stage"
    assert len({s.name for s in STAGES}) == len({s.group for s in STAGES}) == len(STAGES)


def test_stateful_stages_keep_state_in_compacted_topics_and_single_owners_get_one_partition() -> None:
    graph = topic_graph(load_settings(topics={"raw_partitions": 6, "feed_partitions": 4}))
    for stage in STAGES:
        if stage.changelog is not None:
            assert graph.specs[stage.changelog].compacted
            assert stage.transactional, "state and outputs must commit together"
    assert set(single_partition_roles()) == {Role.CLEANED, Role.THREAD_INDEX}
    assert all(graph.specs[r].partitions == 1 for r in single_partition_roles())


def test_dead_letters_are_capped_in_bytes_by_the_setting() -> None:
    graph = topic_graph(load_settings(topics={"dead_letters_max_bytes": 64 << 20}))
    assert graph.specs[Role.DEAD_LETTERS].retention_bytes == 64 << 20
    assert all(spec.retention_bytes is None for role, spec in graph.specs.items() if role != Role.DEAD_LETTERS)
