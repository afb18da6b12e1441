#!/usr/bin/env python3
"""Compare dma-direct's streaming functions in two builds of direct.o.

The series changes coherent allocation, mmap and the predicates, not the
streaming path.  This disassembles both objects with objdump, normalises
what only moves when other functions change size (absolute addresses,
branch targets outside the function, relocation offsets, alignment
padding), and compares the streaming functions one by one.  An identical
function runs exactly the same instructions, so its runtime ratio is 1.00
by construction; a function that differs is printed with its diff.

Usage: hotpath.py <objdump> <base.o> <series.o> [name]
       hotpath.py --disasm <base.txt> <series.txt> [name]   (for tests)
Prints one markdown table row per function; exits 1 if one differs.
"""
import difflib
import re
import subprocess
import sys

STREAMING = [
    "dma_direct_map_sg",
    "dma_direct_unmap_sg",
    "dma_direct_sync_sg_for_device",
    "dma_direct_sync_sg_for_cpu",
    "dma_direct_need_sync",
    "dma_direct_max_mapping_size",
]

FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\s*(.*)$")
RELOC = re.compile(r"^\s*[0-9a-f]+:\s*(R_\S+)\s+(\S+)$")


def is_padding(insn):
    return insn.split()[0] in ("nop", "nopw", "nopl", "int3") or insn == "xchg %ax,%ax"


def normalise(name, start, raw):
    """raw: (address, instruction) and (None, relocation) in order."""
    # Branch targets inside the function become instruction numbers, so
    # padding that only moves code (alignment nops) changes nothing.
    index, n = {}, 0
    for addr, insn in raw:
        if addr is not None:
            index[addr - start] = n
            if not is_padding(insn):
                n += 1
    body = []
    for addr, insn in raw:
        if addr is None:
            body.append(insn)
            continue
        if is_padding(insn):
            continue
        # "b 1234 <f+0x10>": keep only the function-relative form
        insn = re.sub(r"\b[0-9a-f]+ <", "<", insn)
        insn = re.sub(r"<%s\+0x([0-9a-f]+)>" % re.escape(name),
                      lambda m: "<@%d>" % index.get(int(m.group(1), 16), -1), insn)
        insn = insn.replace("<%s>" % name, "<@0>")
        # a target in another function moves with the layout
        insn = re.sub(r"<[^@>][^>]*>", "<other>", insn)
        body.append(insn)
    return body


def functions(text):
    """Map function name -> normalised instruction lines."""
    funcs, name, start, raw = {}, None, 0, []
    for line in text.splitlines():
        m = FUNC.match(line)
        if m:
            if name:
                funcs[name] = normalise(name, start, raw)
            name, start, raw = m.group(2), int(m.group(1), 16), []
            continue
        if name is None:
            continue
        r = RELOC.match(line)
        if r:
            # keep the kind and the symbol, drop the offset it patches
            raw.append((None, "reloc %s %s" % (r.group(1),
                        re.sub(r"[+-]0x[0-9a-f]+$", "", r.group(2)))))
            continue
        m = INSN.match(line)
        if m and m.group(2).strip():
            raw.append((int(m.group(1), 16), re.sub(r"\s+", " ", m.group(2)).strip()))
    if name:
        funcs[name] = normalise(name, start, raw)
    return funcs


def disassemble(objdump, obj):
    return subprocess.run([objdump, "-d", "-r", "--no-show-raw-insn", obj],
                          check=True, capture_output=True, text=True).stdout


def main(argv):
    if argv[1] == "--disasm":
        base, series = (open(p).read() for p in argv[2:4])
    else:
        base, series = (disassemble(argv[1], o) for o in argv[2:4])
    label = argv[4] if len(argv) > 4 else "direct.o"
    fb, fs = functions(base), functions(series)
    bad = 0
    for name in STREAMING:
        # gcc may emit a clone (".isra", ".constprop"); compare those too
        names = sorted(n for n in set(fb) | set(fs)
                       if n == name or n.startswith(name + "."))
        if not names:
            print(f"| {label} | {name} | not built (an inline stub in this config) |")
            continue
        for n in names:
            a, b = fb.get(n), fs.get(n)
            if a is None or b is None:
                print(f"| {label} | {n} | only in {'series' if a is None else 'base'} |")
                bad = 1
            elif a == b:
                insns = sum(not line.startswith("reloc ") for line in a)
                print(f"| {label} | {n} | identical ({insns} instructions) |")
            else:
                print(f"| {label} | {n} | DIFFERS |")
                sys.stdout.writelines("    " + l + "\n" for l in
                                      difflib.unified_diff(a, b, "base", "series", lineterm=""))
                bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv))
