"""revise: the application — command line, terminal app, scheduling, storage, printouts, export."""

__version__ = "0.1.0"
