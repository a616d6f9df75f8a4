"""python -m prompts generate | check | replace | revert | list — see docs/prompts.md.

Exit status: 0 done, 1 the prompts have problems (check, generate), 2 a bad request
(unknown language or name, unreadable audio, bad arguments).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from prompts.build import PromptError, check_prompts, default_out_dir, ensure_prompts
from prompts.catalog import LANGUAGES, CatalogError, read_catalog
from prompts.overrides import DEFAULT_OVERRIDES_DIR, OverrideError, replace_prompt, revert_prompt

PROGRESS_EVERY = 20


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.command(args))
    except (OverrideError, CatalogError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return 2
    except PromptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `python -m prompts list | head`: the reader has gone, which is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def generate(args: argparse.Namespace) -> int:
    out = args.out or default_out_dir()
    print(f"generating prompts into {out} (overrides from {args.overrides or DEFAULT_OVERRIDES_DIR})")

    def progress(done: int, total: int) -> None:
        if done % PROGRESS_EVERY == 0 or done == total:
            print(f"  {done}/{total} files built", flush=True)

    report = ensure_prompts(out, args.overrides, progress=progress, workers=args.workers)
    print(f"{report.total} files: {report.generated} generated, {report.overridden} from overrides, "
          f"{report.reused} reused, {report.removed} removed, in {report.seconds:.1f} s")
    for name in report.unknown_overrides:
        print(f"warning: override {name} matches no catalog prompt (a typo? not a .wav?); it is not used",
              file=sys.stderr)
    return 0


def check(args: argparse.Namespace) -> int:
    out = args.out or default_out_dir()
    problems = check_prompts(out)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {out}; run `python -m prompts generate`", file=sys.stderr)
        return 1
    print(f"all prompts present in {', '.join(LANGUAGES)} and playable (8 kHz, mono, 16-bit) in {out}")
    return 0


def replace(args: argparse.Namespace) -> int:
    done = replace_prompt(args.lang, args.name, args.file, args.overrides)
    print(f"{args.lang} {args.name} <- {args.file}: {done.duration_s:.2f} s, "
          f"{done.rms_dbfs} dBFS RMS, {done.peak_dbfs} dBFS peak")
    print(f"stored as {done.path}; run `python -m prompts generate` to use it")
    return 0


def revert(args: argparse.Namespace) -> int:
    path = revert_prompt(args.lang, args.name, args.overrides)
    print(f"removed {path}; the next generate rebuilds {args.lang} {args.name} from the catalog")
    return 0


def list_prompts(args: argparse.Namespace) -> int:
    catalog = read_catalog()
    for prompt in catalog.prompts:
        for lang in args.lang or LANGUAGES:
            print(f"{prompt.name}\t{lang}\t{prompt.text(lang)}")
    for tone in catalog.tones:
        print(f"{tone.name}\t*\t({tone.hz} Hz tone, {tone.ms} ms)")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m prompts", description="1022 voice prompts")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    out_help = "prompts directory (default: $IVR_STATE_DIR/prompts, else .state/prompts)"
    overrides_help = f"operator recordings (default: {DEFAULT_OVERRIDES_DIR})"

    sub = commands.add_parser("generate", help="build missing or changed prompts and music on hold")
    sub.add_argument("--out", type=Path, help=out_help)
    sub.add_argument("--overrides", type=Path, help=overrides_help)
    sub.add_argument("--workers", type=int, help="parallel builds (default: 2 per CPU, at most 8)")
    sub.set_defaults(command=generate)

    sub = commands.add_parser("check", help="verify every prompt exists in every language and is playable")
    sub.add_argument("--out", type=Path, help=out_help)
    sub.set_defaults(command=check)

    sub = commands.add_parser("replace", help="install a real recording in place of a generated prompt")
    sub.add_argument("lang", metavar="LANG", help="|".join(LANGUAGES))
    sub.add_argument("name", metavar="NAME", help="catalog name, e.g. 1022/welcome (see `list`)")
    sub.add_argument("file", metavar="FILE", type=Path, help="the recording: WAV, MP3, or anything ffmpeg reads")
    sub.add_argument("--overrides", type=Path, help=overrides_help)
    sub.set_defaults(command=replace)

    sub = commands.add_parser("revert", help="remove an override: back to the generated prompt")
    sub.add_argument("lang", metavar="LANG", help="|".join(LANGUAGES))
    sub.add_argument("name", metavar="NAME")
    sub.add_argument("--overrides", type=Path, help=overrides_help)
    sub.set_defaults(command=revert)

    sub = commands.add_parser("list", help="every prompt name with its text")
    sub.add_argument("--lang", choices=LANGUAGES, action="append", help="only this language")
    sub.set_defaults(command=list_prompts)
    return parser


if __name__ == "__main__":
    sys.exit(main())
