"""`gate run`: not built yet."""

import argparse
import sys


def main(args: argparse.Namespace) -> int:
    print("gate run: not implemented yet; the verdict is block", file=sys.stderr)
    return 1
