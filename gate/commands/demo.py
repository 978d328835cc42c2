"""`gate demo`: not built yet."""

import argparse
import sys


def main(args: argparse.Namespace) -> int:
    print("gate demo: not implemented yet; the verdict is block", file=sys.stderr)
    return 1
