"""Go's own tracev1.Parse, as a test oracle for the converter: a tiny Go program built from
the installed Go 1.27.3's `internal/trace/internal/tracev1` (copied at test time into a
scratch module, its one internal import replaced) prints the parsed trace as JSON, which
`v1trace_of` turns into our `V1Trace`. The converter can so be checked against
`go tool trace -d=parsed` on real traces without our parser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from tracetui.gotrace.v1.model import V1Frame, V1Trace

# Added to the copy of package trace: parse (the JSON of tracev1.Parse's result), then the
# events Go's Reader makes of that same parse, as `go tool trace -d=parsed` prints them.
_ORACLE_GO = """package trace

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"

	"v1oracle/trace/internal/tracev1"
	"v1oracle/trace/version"
)

type oracleFrame struct {
	PC, Fn, File uint64
	Line         int
}

type oracleTrace struct {
	Version int
	Ts      []int64
	G       []uint64
	Args    [][4]uint64
	Stk     []uint32
	P       []int32
	Typ     []int
	Stacks  map[string][]uint64
	PCs     map[string]oracleFrame
	Strings map[string]string
	Inline  []string
}

// Oracle writes the parsed v1 trace as JSON to jsonOut and Go's converted events to textOut.
func Oracle(path string, jsonOut, textOut io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	v, err := version.ReadHeader(br)
	if err != nil {
		return err
	}
	tr, err := tracev1.Parse(br, v)
	if err != nil {
		return err
	}
	out := oracleTrace{Version: int(v), Stacks: map[string][]uint64{}, PCs: map[string]oracleFrame{},
		Strings: map[string]string{}, Inline: tr.InlineStrings}
	for ev := range tr.Events.All() {
		out.Ts = append(out.Ts, int64(ev.Ts))
		out.G = append(out.G, ev.G)
		out.Args = append(out.Args, ev.Args)
		out.Stk = append(out.Stk, ev.StkID)
		out.P = append(out.P, ev.P)
		out.Typ = append(out.Typ, int(ev.Type))
	}
	for id, s := range tr.Stacks {
		out.Stacks[strconv.FormatUint(uint64(id), 10)] = s
	}
	for pc, fr := range tr.PCs {
		out.PCs[strconv.FormatUint(pc, 10)] = oracleFrame{fr.PC, fr.Fn, fr.File, fr.Line}
	}
	for id, s := range tr.Strings {
		out.Strings[strconv.FormatUint(id, 10)] = s
	}
	if err := json.NewEncoder(jsonOut).Encode(out); err != nil {
		return err
	}
	r := &Reader{v1Events: convertV1Trace(tr)}
	var sb strings.Builder
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		} else if err != nil {
			sb.WriteString("ERROR: " + err.Error() + "\\n")
			break
		}
		sb.WriteString(ev.String())
		sb.WriteString("\\n")
	}
	_, err = io.WriteString(textOut, sb.String())
	return err
}
"""

_MAIN_GO = """package main

import (
	"bufio"
	"fmt"
	"os"

	"v1oracle/trace"
)

func main() {
	js, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriter(os.Stdout)
	if err := trace.Oracle(os.Args[1], js, w); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w.Flush()
	js.Close()
}
"""

_IMPORT = re.compile(r'"internal/trace((?:/[a-z0-9/]+)?)"')


def build(go: str, env: dict[str, str], work: Path) -> Path:
    """Build the oracle in `work` from the GOROOT of `go` (its package internal/trace and the
    packages it imports from there, copied with their imports renamed); returns the binary."""
    goroot = Path(env.get("GOROOT") or Path(go).resolve().parent.parent)
    src = goroot / "src" / "internal" / "trace"
    mod = work / "v1oracle"
    shutil.rmtree(mod, ignore_errors=True)
    for sub in ("", "tracev2", "version", "internal/tracev1"):
        (mod / "trace" / sub).mkdir(parents=True, exist_ok=True)
        for f in sorted((src / sub).glob("*.go")):
            if not f.name.endswith("_test.go"):
                (mod / "trace" / sub / f.name).write_text(_IMPORT.sub(r'"v1oracle/trace\1"', f.read_text()))
    (mod / "trace" / "oracle.go").write_text(_ORACLE_GO)
    (mod / "main.go").write_text(_MAIN_GO)
    (mod / "go.mod").write_text("module v1oracle\n\ngo 1.24\n")
    exe = work / "v1oracle.bin"
    subprocess.run([go, "build", "-o", str(exe), "."], cwd=mod, env=env, check=True, capture_output=True)
    return exe


class GoParseError(Exception):
    """Go's tracev1.Parse refused the trace (the message is Go's)."""


def run(exe: Path, trace: Path, work: Path) -> tuple[V1Trace, str]:
    """Go's tracev1.Parse of `trace` as a V1Trace, and the text of the events Go's Reader
    converts that parse to (`go tool trace -d=parsed` of the same parse)."""
    js = work / (trace.name + ".json")
    out = subprocess.run([str(exe), str(trace), str(js)], capture_output=True, check=False, timeout=300)
    if out.returncode != 0:
        raise GoParseError(out.stderr.decode(errors="replace").strip())
    return v1trace_of(json.loads(js.read_text())), out.stdout.decode("utf-8", "surrogateescape")


def v1trace_of(d: dict) -> V1Trace:
    """The V1Trace of the oracle's JSON."""
    n = len(d["Ts"] or [])
    return V1Trace(
        version=d["Version"],
        ts=np.array(d["Ts"] or [], np.int64),
        g=np.array(d["G"] or [], np.uint64),
        args=list(np.array(d["Args"] or np.zeros((0, 4)), np.uint64).reshape(n, 4).T.copy()),
        stk=np.array(d["Stk"] or [], np.uint32),
        p=np.array(d["P"] or [], np.int32),
        typ=np.array(d["Typ"] or [], np.uint8),
        stacks={int(k): tuple(v or ()) for k, v in d["Stacks"].items()},
        pcs={int(k): V1Frame(f["PC"], f["Fn"], f["File"], f["Line"]) for k, f in d["PCs"].items()},
        strings={int(k): s for k, s in d["Strings"].items()},
        inline_strings=list(d["Inline"] or []),
    )
