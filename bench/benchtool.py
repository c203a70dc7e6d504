#!/usr/bin/env python3
"""Helpers of bench/run.sh (Python 3 standard library only).

  scsynth-inputs N SECONDS OUTDIR   write the SynthDef (anchor_voice.scsyndef) and the NRT
                                    score (sc_nN_sS.osc) for N voices; print the score's name
  synthdef-sha256                   print the SHA-256 of the SynthDef bytes
  wavstat FILE                      print frames, channels, rate, peak and RMS of a float WAV (JSON)
  record RAW_CSV ENGINE N SECONDS REP T0 T1 TIMELOG [OUT]
                                    append one timed run: wall time from the shell's EPOCHREALTIME
                                    T0/T1, CPU and peak RSS from a GNU `time -v` log, and (ours)
                                    the in-process render time printed by chronus_bench in OUT
  callgrind-total FILE              print the total Ir of a callgrind output file
  music-summary MUSIC_DIR CG_PREFIX build modules.csv / modules.md (instructions per sample of every
                                    module from the callgrind dumps CG_PREFIX.N, one per row, next to
                                    the native times of modules_native.csv) and tracks.md (music.csv,
                                    render.csv) in MUSIC_DIR
  poly-patch N PATH                 write the reference voice as a poly patch (N a multiple of 16)
  summarize RESULTS_DIR             build table.md and summary.json from raw.csv and callgrind.csv;
                                    exit status 0 when both bars pass, 1 otherwise

The workload (BENCHMARKS.md): voice i = 0..N-1 is a band-limited saw at 55 * 2^(i/48) Hz into a
2-pole resonant low-pass (2000 Hz, Q 2), times a linear ADSR (A 5 ms, D 100 ms, S 0.5, R 100 ms,
peak 0.5/N) gated high for 0.3 s of every 0.5 s, all voices in phase, summed into both channels;
48 kHz, block 64.

For scsynth the voice is the SynthDef

    SynthDef(\\anchor_voice, { |freq = 440, amp = 0.1|
        var gate = LFPulse.kr(2, 0, 0.6);
        var env = EnvGen.kr(Env.adsr(0.005, 0.1, 0.5, 0.1, curve: \\lin), gate, levelScale: amp);
        var sig = RLPF.ar(Saw.ar(freq), 2000, 0.5) * env;
        Out.ar(0, [sig, sig]);
    }, [\\ir, \\ir])

written here directly in SuperCollider's binary SynthDef format (version 2), so that no sclang is
needed. The bytes (503) and the scores were checked, when this file was written, to be identical to
those of the project's anchor measurements of scsynth on this machine, whose SynthDef had been
checked byte for byte against what sclang 3.13 compiles from the source above. SYNTHDEF_SHA256
pins them: `scsynth-inputs` refuses to write anything else.
"""

import hashlib
import json
import math
import os
import re
import statistics
import struct
import sys

SAMPLE_RATE = 48000
BLOCK = 64
SYNTHDEF_NAME = "anchor_voice"
SYNTHDEF_SHA256 = "1868f64724a24533cd4484ed38e33c6278b8b46fca9d82bd68053c8202650e8f"

# Bars of the benchmark (the issue): our voices per core >= 1.5 x scsynth's in the same run, and
# at most 50 instructions per voice-sample.
RATIO_BAR = 1.5
IR_BAR = 50.0


def voice_freq(i):
    return 55.0 * 2.0 ** (i / 48.0)


def voice_level(n):
    return 0.5 / n


# ------------------------------------------------------------------ SynthDef (format version 2)
# Rates of a UGen (and of each of its outputs).
IR, KR, AR = 0, 1, 2


def f32(x):
    """x rounded to float32, as SuperCollider stores it."""
    return struct.unpack(">f", struct.pack(">f", x))[0]


def pascal(s):
    b = s.encode("ascii")
    return bytes([len(b)]) + b


class GraphWriter:
    """Collects constants and UGens of one SynthDef and serializes them."""

    def __init__(self, constants):
        # sclang numbers constants in the order it meets them while building the graph; listing
        # them up front in that order reproduces its file exactly.
        self.constants = [f32(c) for c in constants]
        self.ugens = []

    def const(self, value):
        return (-1, self.constants.index(f32(value)))

    def ugen(self, name, rate, inputs, outputs=1, special=0):
        self.ugens.append((name, rate, inputs, outputs, special))
        return len(self.ugens) - 1

    def serialize(self, name, params, param_names):
        out = [b"SCgf", struct.pack(">iH", 2, 1), pascal(name)]
        out.append(struct.pack(">i", len(self.constants)))
        out += [struct.pack(">f", c) for c in self.constants]
        out.append(struct.pack(">i", len(params)))
        out += [struct.pack(">f", p) for p in params]
        out.append(struct.pack(">i", len(param_names)))
        for index, pname in enumerate(param_names):
            out += [pascal(pname), struct.pack(">i", index)]
        out.append(struct.pack(">i", len(self.ugens)))
        for uname, rate, inputs, outputs, special in self.ugens:
            out += [pascal(uname), struct.pack(">biih", rate, len(inputs), outputs, special)]
            out += [struct.pack(">ii", src, index) for src, index in inputs]
            out.append(bytes([rate]) * outputs)
        out.append(struct.pack(">h", 0))  # no variants
        return b"".join(out)


def synthdef_bytes():
    attack, decay, sustain, release = 0.005, 0.1, 0.5, 0.1
    rate_hz, width, cutoff, rq = 2.0, 0.6, 2000.0, 0.5
    g = GraphWriter([rate_hz, 0.0, width, 1.0, 3.0, -99.0, attack, sustain, decay, cutoff])
    controls = g.ugen("Control", IR, [], outputs=2)  # freq, amp (both \ir)
    saw = g.ugen("Saw", AR, [(controls, 0)])
    rlpf = g.ugen("RLPF", AR, [(saw, 0), g.const(cutoff), g.const(rq)])
    gate = g.ugen("LFPulse", KR, [g.const(rate_hz), g.const(0.0), g.const(width)])
    # Env.adsr(curve: \lin): start level 0, 3 segments, release node 2, no loop (-99), then
    # (level, time, shape 1 = linear, curve 0) per segment
    envelope = [0.0, 3.0, 2.0, -99.0,
                1.0, attack, 1.0, 0.0,
                sustain, decay, 1.0, 0.0,
                0.0, release, 1.0, 0.0]
    # EnvGen inputs: gate, levelScale, levelBias, timeScale, doneAction, envelope
    env = g.ugen("EnvGen", KR, [(gate, 0), (controls, 1), g.const(0.0), g.const(1.0), g.const(0.0)]
                 + [g.const(v) for v in envelope])
    times = g.ugen("BinaryOpUGen", AR, [(rlpf, 0), (env, 0)], special=2)  # special 2 = '*'
    g.ugen("Out", AR, [g.const(0.0), (times, 0), (times, 0)], outputs=0)
    return g.serialize(SYNTHDEF_NAME, [440.0, 0.1], ["freq", "amp"])


# ------------------------------------------------------------------ NRT score (OSC bundles)
def osc_string(s):
    b = s.encode("ascii") + b"\0"
    return b + b"\0" * (-len(b) % 4)


def osc_message(address, *args):
    tags, data = ",", []
    for a in args:
        if isinstance(a, bytes):
            tags += "b"
            data.append(struct.pack(">i", len(a)) + a + b"\0" * (-len(a) % 4))
        elif isinstance(a, str):
            tags += "s"
            data.append(osc_string(a))
        elif isinstance(a, int):
            tags += "i"
            data.append(struct.pack(">i", a))
        else:
            tags += "f"
            data.append(struct.pack(">f", a))
    return osc_string(address) + osc_string(tags) + b"".join(data)


def score_bundle(seconds, messages):
    """One entry of an NRT score: int32 size, then an OSC bundle whose time tag is the score time."""
    whole = int(seconds)
    fraction = int(round((seconds - whole) * 2 ** 32)) & 0xFFFFFFFF
    body = b"#bundle\0" + struct.pack(">II", whole, fraction)
    body += b"".join(struct.pack(">i", len(m)) + m for m in messages)
    return struct.pack(">i", len(body)) + body


def scsynth_inputs(n, seconds, outdir):
    sd = synthdef_bytes()
    if hashlib.sha256(sd).hexdigest() != SYNTHDEF_SHA256:
        raise SystemExit("benchtool: the SynthDef bytes changed; they must stay identical to sclang's")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, SYNTHDEF_NAME + ".scsyndef"), "wb") as f:
        f.write(sd)
    level = voice_level(n)
    score = score_bundle(0.0, [osc_message("/d_recv", sd)])
    # /s_new name id addAction(1 = tail) target(0 = root group) controls...
    score += score_bundle(0.0, [osc_message("/s_new", SYNTHDEF_NAME, 1000 + i, 1, 0,
                                            "freq", voice_freq(i), "amp", level) for i in range(n)])
    score += score_bundle(float(seconds), [osc_message("/c_set", 0, 0.0)])  # the score's end
    name = f"sc_n{n}_s{seconds}.osc"
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(score)
    return name


# ------------------------------------------------------------------ measurements
def wavstat(path):
    import array
    with open(path, "rb") as f:
        d = f.read()
    if d[:4] != b"RIFF" or d[8:12] != b"WAVE":
        raise SystemExit(f"{path}: not a WAV file")
    pos, channels, rate, bits, samples = 12, 0, 0, 0, None
    while pos + 8 <= len(d):
        chunk, size = d[pos:pos + 4], struct.unpack("<I", d[pos + 4:pos + 8])[0]
        if chunk == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", d[pos + 8:pos + 24])
        elif chunk == b"data":
            samples = d[pos + 8:pos + 8 + size]
        pos += 8 + size + (size & 1)
    if bits != 32 or samples is None:
        raise SystemExit(f"{path}: expected 32-bit float samples")
    a = array.array("f")
    a.frombytes(samples[: len(samples) // 4 * 4])
    if sys.byteorder != "little":
        a.byteswap()
    peak = max((abs(x) for x in a), default=0.0)
    rms = math.sqrt(sum(x * x for x in a) / max(len(a), 1))
    finite = all(math.isfinite(x) for x in a)
    return {"frames": len(a) // max(channels, 1), "channels": channels, "rate": rate,
            "peak": round(peak, 6), "rms": round(rms, 6), "finite": finite}


def parse_time_v(path):
    text = open(path, errors="replace").read()

    def field(label, default="0"):
        m = re.search(re.escape(label) + r":\s*(\S+)", text)
        return m.group(1) if m else default

    return {"user": float(field("User time (seconds)")), "sys": float(field("System time (seconds)")),
            "maxrss_kb": int(field("Maximum resident set size (kbytes)")),
            "exit": int(field("Exit status", "-1"))}


def record(raw_csv, engine, n, seconds, rep, t0, t1, timelog, out=None):
    t = parse_time_v(timelog)
    wall = float(t1) - float(t0)
    render = ""
    if out and os.path.exists(out):
        m = re.search(r"render_s=([0-9.]+)", open(out).read())
        render = m.group(1) if m else ""
    new = not os.path.exists(raw_csv)
    with open(raw_csv, "a") as f:
        if new:
            f.write("engine,voices,seconds,rep,wall_s,cpu_s,maxrss_kb,exit,render_s\n")
        f.write(f"{engine},{n},{seconds},{rep},{wall:.6f},{t['user'] + t['sys']:.2f},"
                f"{t['maxrss_kb']},{t['exit']},{render}\n")
    print(f"  {engine:8s} N={n:<4} rep {rep}: wall {wall:7.3f} s  realtime x{float(seconds) / wall:8.1f}"
          + ("" if t["exit"] == 0 else f"  <-- exit status {t['exit']}"))
    return 0 if t["exit"] == 0 else 1


def callgrind_total(path):
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit(f"{path}: no totals line")


# ------------------------------------------------------------------ summary
ENGINES = {"chronus": "Chronus (chronus_bench)", "scsynth": "SuperCollider scsynth NRT"}


def poly_patch(n, path):
    """The reference voice as a poly patch: k = n / 16 groups of 16 channels. Group g: `const`
    with the pitch offsets (16 g + c) / 48 octaves -> saw at 55 Hz `fm` -> svf lp (2000 Hz, Q 2)
    -> adsr (5/100/0.5/100 ms, level 0.5 / n), gated by one square LFO (2 Hz, width 0.6) -> out."""
    if n % 16:
        raise SystemExit("poly-patch: N must be a multiple of 16")
    modules = [{"id": "gate", "type": "lfo", "params": {"shape": "square", "rate": 2, "width": 0.6}}]
    cables = []
    for g in range(n // 16):
        offsets = " ".join(repr((16 * g + c) / 48.0) for c in range(16))
        modules += [
            {"id": f"pitch{g}", "type": "const", "params": {"values": offsets}},
            {"id": f"saw{g}", "type": "saw", "params": {"freq": 55, "gain": 1}},
            {"id": f"svf{g}", "type": "svf", "params": {"cutoff": 2000, "q": 2}},
            {"id": f"env{g}", "type": "adsr",
             "params": {"attack": 5, "decay": 100, "sustain": 0.5, "release": 100, "level": voice_level(n)}},
        ]
        cables += [{"from": f"pitch{g}", "to": f"saw{g}.fm"}, {"from": f"saw{g}", "to": f"svf{g}.in"},
                   {"from": f"svf{g}.lp", "to": f"env{g}.in"}, {"from": "gate", "to": f"env{g}.gate"},
                   {"from": f"env{g}", "to": "out"}]
    with open(path, "w") as f:
        json.dump({"format": "chronus-patch", "version": 1, "modules": modules, "cables": cables}, f, indent=1)
    return path


def summarize(rdir):
    import csv
    rows = list(csv.DictReader(open(os.path.join(rdir, "raw.csv"))))
    runs = {}
    for r in rows:
        if int(r["exit"]) == 0:
            runs.setdefault((r["engine"], int(r["voices"]), float(r["seconds"])), []).append(r)
    summary = {"rtf": {}, "voices_per_core": {}, "voices_per_core_best": {}, "ir_per_voice_sample": {}}
    lines = ["## Render speed (realtime factor = audio seconds / wall seconds of the whole process, "
             "start-up included; median of the runs)", "",
             "| engine | N | runs | wall s, median (min-max) | **realtime factor** | best run | "
             "render-only realtime factor (in-process timer) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for (eng, n, secs), rs in sorted(runs.items(), key=lambda k: (list(ENGINES).index(k[0][0]), k[0][1])):
        walls = [float(r["wall_s"]) for r in rs]
        med = statistics.median(walls)
        renders = [float(r["render_s"]) for r in rs if r["render_s"]]
        inproc = f"{secs / statistics.median(renders):.1f}" if renders else "-"
        rtf = secs / med
        summary["rtf"].setdefault(eng, {})[n] = rtf
        lines.append(f"| {ENGINES[eng]} | {n} | {len(rs)} | {med:.3f} ({min(walls):.3f}-{max(walls):.3f}) | "
                     f"**{rtf:.1f}** | {secs / min(walls):.1f} | {inproc} |")
        summary["voices_per_core"].setdefault(eng, {})[n] = n * rtf
        summary["voices_per_core_best"].setdefault(eng, {})[n] = n * secs / min(walls)

    cg = {}
    cg_path = os.path.join(rdir, "callgrind.csv")
    if os.path.exists(cg_path):
        for r in csv.DictReader(open(cg_path)):
            cg[(r["engine"], int(r["voices"]))] = (int(r["ir"]), float(r["seconds"]))
    # The voice counts of the two callgrind runs (the poly workload compares two whole groups of
    # 16 channels, 16 and 32); the bars (the poly workload's are 5x scsynth and 10 instructions).
    lo, hi = (int(v) for v in os.environ.get("BENCH_CG_VOICES", "1 16").split())
    ratio_bar = float(os.environ.get("BENCH_RATIO_BAR", RATIO_BAR))
    ir_bar = float(os.environ.get("BENCH_IR_BAR", IR_BAR))
    for eng in ENGINES:
        if (eng, lo) in cg and (eng, hi) in cg:
            (ir1, secs), (ir16, _) = cg[(eng, lo)], cg[(eng, hi)]
            summary["ir_per_voice_sample"][eng] = (ir16 - ir1) / ((hi - lo) * secs * SAMPLE_RATE)

    def at_largest(table, eng):
        d = table.get(eng, {})
        return (max(d), d[max(d)]) if d else (None, None)

    lines += ["", "## Summary", "",
              "| | Chronus | scsynth | ratio Chronus / scsynth | bar | result |", "|---|---:|---:|---:|---|---|"]
    n_ours, vpc_ours = at_largest(summary["voices_per_core"], "chronus")
    n_sc, vpc_sc = at_largest(summary["voices_per_core"], "scsynth")
    ok_ratio = ok_ir = False
    if vpc_ours and vpc_sc:
        ratio = vpc_ours / vpc_sc
        ok_ratio = ratio >= ratio_bar
        summary["ratio"] = ratio
        _, best_ours = at_largest(summary["voices_per_core_best"], "chronus")
        _, best_sc = at_largest(summary["voices_per_core_best"], "scsynth")
        lines.append(f"| voices per core in real time (N x realtime factor at N = {n_ours}, median) | "
                     f"{vpc_ours:.0f} | {vpc_sc:.0f} | **{ratio:.2f}** | >= {ratio_bar:g} | "
                     f"{'PASS' if ok_ratio else 'FAIL'} |")
        lines.append(f"| same from the best runs (for reading the noise) | {best_ours:.0f} | {best_sc:.0f} | "
                     f"{best_ours / best_sc:.2f} | | |")
    ir = summary["ir_per_voice_sample"]
    if "chronus" in ir:
        ok_ir = ir["chronus"] <= ir_bar
        sc_ir = f"{ir['scsynth']:.1f}" if "scsynth" in ir else "-"
        ratio_ir = f"{ir['chronus'] / ir['scsynth']:.2f}" if "scsynth" in ir else "-"
        lines.append(f"| instructions per voice-sample, callgrind ((Ir at N={hi} - Ir at N={lo}) / ({hi - lo} x samples)) | "
                     f"{ir['chronus']:.1f} | {sc_ir} | {ratio_ir} | <= {ir_bar:g} | {'PASS' if ok_ir else 'FAIL'} |")
    summary["pass"] = {"voices_per_core": ok_ratio, "instructions": ok_ir}
    if cg:
        lines += ["", "| engine | N | audio s | Ir (whole process) |", "|---|---:|---:|---:|"]
        for (eng, n), (irv, secs) in sorted(cg.items(), key=lambda k: (list(ENGINES).index(k[0][0]), k[0][1])):
            lines.append(f"| {ENGINES[eng]} | {n} | {secs:g} | {irv:,} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(rdir, "table.md"), "w") as f:
        f.write(text)
    with open(os.path.join(rdir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    print(text)
    return 0 if ok_ratio and ok_ir else 1


# ------------------------------------------------------------------ music: tracks and modules
def callgrind_dumps(prefix):
    """{label: Ir} from the dumps CG_PREFIX.N that chronus_module_bench triggers (one per row)."""
    import glob
    out = {}
    for path in glob.glob(glob.escape(prefix) + ".*"):
        label, total = None, None
        with open(path, errors="replace") as f:
            for line in f:
                if line.startswith("desc: Trigger:"):
                    # "desc: Trigger: Client Request: kick/active"
                    label = line.split("Client Request:", 1)[-1].strip() if "Client Request:" in line else None
                elif line.startswith(("summary:", "totals:")):
                    total = int(line.split()[1])
        if label and total is not None:
            out[label] = total
    return out


def median(values):
    v = sorted(values)
    n = len(v)
    if not n:
        return float("nan")
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def music_summary(mdir, cg_prefix):
    import csv
    import math
    rows = list(csv.DictReader(open(os.path.join(mdir, "modules_native.csv"))))
    ir = callgrind_dumps(cg_prefix)
    # Categories in palette order (the registry's order, which the CSV keeps), types likewise.
    cats, types = [], {}
    for r in rows:
        if r["category"] not in cats:
            cats.append(r["category"])
        t = types.setdefault(r["type"], {"category": r["category"], "order": len(types)})
        t[r["variant"]] = r
    with open(os.path.join(mdir, "modules.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["type", "category", "variant", "inputs", "samples", "ir", "ir_per_sample",
                    "ns_per_sample_median", "ns_per_sample_min", "out_rms", "out_peak"])
        for r in rows:
            irv = ir.get(f"{r['type']}/{r['variant']}")
            n = int(r["samples"])
            w.writerow([r["type"], r["category"], r["variant"], r["inputs"], n, irv if irv is not None else "",
                        f"{irv / n:.1f}" if irv is not None else "", r["ns_per_sample"], r["ns_min"],
                        r["out_rms"], r["out_peak"]])

    def ips(t, variant):
        v = ir.get(f"{t}/{variant}")
        r = types[t].get(variant)
        return (v / int(r["samples"])) if v is not None and r else None

    def db(x):
        x = float(x)
        return "silent" if x <= 0 else f"{20 * math.log10(x):.0f} dB"

    lines = ["| category | module | instructions / sample | idle (gates low) | ns / sample, native median "
             "(idle) | inputs fed | output RMS |", "|---|---|---:|---:|---:|---|---:|"]
    missing = []
    for c in cats:
        for t in sorted((t for t in types if types[t]["category"] == c), key=lambda t: types[t]["order"]):
            a, i = types[t].get("active"), types[t].get("idle")
            ia, ii = ips(t, "active"), ips(t, "idle")
            if ia is None:
                missing.append(t)
            ns = f"{float(a['ns_per_sample']):.1f}" + (f" ({float(i['ns_per_sample']):.1f})" if i else "")
            lines.append(f"| {c} | {t} | {'%.0f' % ia if ia is not None else 'n/a'} | "
                         f"{'%.0f' % ii if ii is not None else ('-' if not i else 'n/a')} | {ns} | "
                         f"{a['inputs']} | {db(a['out_rms']) if t != 'output' else '-'} |")
    if missing:
        lines += ["", f"No callgrind figure for: {', '.join(missing)}."]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(mdir, "modules.md"), "w") as f:
        f.write(text)
    print(text)

    # The tracks: live DSP load per slot and offline speed, `chronus render` (wall time), and the
    # instructions per sample of the offline render next to the sum of its modules' figures above
    # (at default parameters and this program's inputs, so only a cross-check).
    tl = []
    mpath, rpath = os.path.join(mdir, "music.csv"), os.path.join(mdir, "render.csv")
    cpath = os.path.join(mdir, "tracks_callgrind.csv")
    renders, trackir = {}, {}
    if os.path.exists(rpath):
        for r in csv.DictReader(open(rpath)):
            renders.setdefault(r["patch"], []).append(float(r["audio_seconds"]) / float(r["wall_seconds"]))
    if os.path.exists(cpath):
        for r in csv.DictReader(open(cpath)):
            trackir[r["patch"]] = int(r["ir"]) / (float(r["seconds"]) * 48000.0)

    def module_sum(patch):
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "patches", patch)
        try:
            mods = json.load(open(path))["modules"]
        except (OSError, ValueError, KeyError):
            return None
        total = 0.0
        for m in mods:
            v = ips(m["type"], "active") if m["type"] in types else None
            if v is None:
                return None
            total += v
        return total + (ips("output", "active") or 0.0)

    if os.path.exists(mpath):
        tl += ["| track | modules | live: active slot DSP load, median / max | live: mirror slot, median / max | "
               "none-reads | xruns (RtAudio / jackd log) | offline, OfflineRenderer: x real time (single-core "
               "load) | `chronus render`: x real time (wall, median of 3) | instructions / sample (callgrind, "
               "offline) | sum of its modules' rows below |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in csv.DictReader(open(mpath)):
            act = int(r["active_slot"])
            a, m = str(act), str(1 - act)
            pct = lambda k: f"{100 * float(r[k]):.2f} %"
            rx = renders.get(r["patch"])
            ti, ms = trackir.get(r["patch"]), module_sum(r["patch"])
            drv = "" if r["driver"] == "jack-dummy" else f" ({r['driver']} driver)"
            tl.append(f"| {r['patch']}{drv} | {r['modules']} | "
                      f"**{pct('load' + a + '_median')}** / {pct('load' + a + '_max')} | "
                      f"{pct('load' + m + '_median')} / {pct('load' + m + '_max')} | {r['none_reads']} | "
                      f"{r['xruns']} / {r['server_xruns'] if int(r['server_xruns']) >= 0 else '-'} | "
                      f"{float(r['x_realtime_median']):.0f}x ({pct('offline_load')}) | "
                      f"{('%.0fx' % median(rx)) if rx else '-'} | {('%.0f' % ti) if ti else '-'} | "
                      f"{('%.0f' % ms) if ms else '-'} |")
    text = "\n".join(tl) + "\n"
    with open(os.path.join(mdir, "tracks.md"), "w") as f:
        f.write(text)
    print(text)
    return 0 if not missing else 1


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0 if len(argv) >= 2 else 2
    cmd, args = argv[1], argv[2:]
    if cmd == "scsynth-inputs":
        print(scsynth_inputs(int(args[0]), int(args[1]), args[2]))
    elif cmd == "synthdef-sha256":
        print(hashlib.sha256(synthdef_bytes()).hexdigest())
    elif cmd == "wavstat":
        print(json.dumps(wavstat(args[0])))
    elif cmd == "record":
        return record(*args)
    elif cmd == "callgrind-total":
        print(callgrind_total(args[0]))
    elif cmd == "poly-patch":
        print(poly_patch(int(args[0]), args[1]))
    elif cmd == "summarize":
        return summarize(args[0])
    elif cmd == "music-summary":
        return music_summary(args[0], args[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
