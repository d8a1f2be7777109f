"""Command-line interface: ``graspvla <command> --help``."""
