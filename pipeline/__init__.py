"""The composition root: the command line, the wiring of settings, bus and stages into daemons,
and the offline demo with its sample sites. The only package that imports every layer."""
