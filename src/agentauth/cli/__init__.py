"""The command line: the only package that imports typer, prints, or exits (app: ``app``)."""
