"""One module per `gate` subcommand, each with `main(args) -> int`."""
