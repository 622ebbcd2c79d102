#!/usr/bin/env python3
"""Static half of the device audit (docs/distributed.md, "Devices").

In the modules whose tensors must follow the model's device (models, attacks, adaptation,
evaluation, psychophysics, representation, objects), every LibTorch factory call (torch::zeros,
full, tensor, rand, ...) must take its device from a tensor (`.options()`, `.device()`,
`to_device`) or say why it belongs on the CPU with a `// cpu:` comment on the same line or the line
before. A file that works on the CPU as a whole (a data generator, a metric on codes brought back
to the host) says so once with a `// cpu (whole file):` comment. Exits 1 listing the offending
lines. The dynamic half (tensors on the meta device) is tests/devices/device_test.cpp.
"""
import pathlib
import re
import sys

MODULES = ["models", "attacks", "adaptation", "evaluation", "psychophysics", "representation", "objects"]
FACTORY = re.compile(r"torch::(zeros|ones|empty|full|arange|rand|randn|randint|tensor|from_blob|linspace|eye|"
                     r"normal|randperm)\(")
FOLLOWS = re.compile(r"options\(\)|device\(|to_device|// cpu:")


def offending(root: pathlib.Path):
    for module in MODULES:
        for path in sorted((root / "src" / module).glob("*.cpp")):
            text = path.read_text()
            if "// cpu (whole file):" in text:
                continue
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if not FACTORY.search(line):
                    continue
                # The call may span lines: look at the statement up to its semicolon, and the line before.
                statement = line
                j = i
                while ";" not in statement and j + 1 < len(lines) and j < i + 4:
                    j += 1
                    statement += lines[j]
                before = lines[i - 1] if i > 0 else ""
                if not FOLLOWS.search(statement) and "// cpu:" not in before:
                    yield f"{path.relative_to(root)}:{i + 1}: {line.strip()}"


def main() -> int:
    root = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[2]
    found = list(offending(root))
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} tensor(s) created on a fixed device; take the device from a tensor or mark '// cpu: why'")
        return 1
    print("device audit: every factory call follows a tensor's device or is marked as CPU by design")
    return 0


if __name__ == "__main__":
    sys.exit(main())
