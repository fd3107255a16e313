"""Student forms, measured: dropped tokens (rcwork's default) vs the paper's attention mask.

One distillation step (forward and backward, no optimizer) on the same batch of seed records with
the embedded model, at mask rates 0, 1/3, 2/3 and 1:

* form (a), as the authors' code runs it: teacher and student as two rows of one batch, a 2-D
  attention mask zero on the student's hidden tokens, full-vocabulary logits everywhere
  (:func:`rcwork.distill.reference.authors_loss`);
* form (b): hidden tokens dropped, survivors keep their position_ids, sequences packed, logits
  only where a loss needs them (:func:`rcwork.distill.loss_terms`).

The dropped form must give the same three loss terms (to 1e-4) as rcwork's attention-mask form
of the same targets (computed once per rate, untimed; the authors' targets differ slightly, see
``docs/method.md``).  Reported per rate: step time (median of
``--repeats``, the forms interleaved so machine load hits both alike), tokens/s, peak memory
(max RSS growth of a fresh process running that step), and the ratio (b)/(a) averaged over the
rates, by wall-clock and by CPU time (the machine may be shared: CPU time is the steadier
yardstick there, and ``--threads 1`` keeps idle-spinning worker threads out of it).
Target: at most 0.6.

    python benchmarks/bench_student_forms.py --json reports/bench_student_forms.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

RATES = (0.0, 1 / 3, 2 / 3, 1.0)


def _setup(args):
    import torch

    torch.set_num_threads(args.threads)
    from rcwork.encoding import encode_record
    from rcwork.models import load_model
    from rcwork.records import read_records

    model, tok = load_model(args.model)
    model.train()
    if args.data == "toy":
        from rcwork.distill.toy import toy_records

        records = toy_records(32)
    else:
        records = read_records(args.data)
    enc = []
    for r in records:
        try:
            enc.append(encode_record(r, tok, max_len=args.max_len))
        except ValueError:
            continue
    # The records nearest the median length: a representative batch, the same for every run.
    lengths = sorted(len(e.teacher) for e in enc)
    median = lengths[len(lengths) // 2]
    enc.sort(key=lambda e: (abs(len(e.teacher) - median), len(e.teacher)))
    return model, tok, enc[:args.batch]


def _batch(enc, rate, args):
    from rcwork.distill import make_batch

    return make_batch(enc, strategy=args.strategy, order=args.order, rate=rate, seed=args.seed)


def _step(model, batch, form):
    from rcwork.distill import loss_terms
    from rcwork.distill.reference import authors_loss

    if form == "a":
        authors_loss(model, batch).total.backward()
        model.zero_grad(set_to_none=True)
        return None
    terms = loss_terms(model, batch, "dropped")
    terms.total().backward()
    model.zero_grad(set_to_none=True)
    return terms


def _computed_tokens(batch, form):
    """Tokens the model runs over, padding included."""
    from rcwork.distill.layout import layout

    if form == "a":
        n = max(len(it.sample) for it in batch.items)
        return 2 * n * len(batch.items)
    return layout(batch, "dropped", "padded").computed_tokens


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_child(args) -> None:
    """One step of one form at one rate in this fresh process; prints how far the resident set
    rose above what the loaded model already held (Linux: the high-water mark is reset to the
    current RSS first, since loading the model peaks higher than a step)."""
    import torch

    model, tok, enc = _setup(args)
    batch = _batch(enc, args.rate, args)
    with torch.no_grad():  # touch the weights once so lazily mapped pages do not count
        model(input_ids=torch.tensor([[1, 2, 3]]))
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status_kib("VmRSS")
    _step(model, batch, args.form)
    peak = _status_kib("VmHWM")
    print(json.dumps({"peak_mib": (peak - before) / 1024,
                      "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure_memory(args, form: str, rate: float) -> float:
    cmd = [sys.executable, __file__, "--memory-child", "--form", form, "--rate", repr(rate),
           "--model", args.model, "--data", args.data, "--batch", str(args.batch),
           "--threads", str(args.threads), "--strategy", args.strategy, "--order", args.order,
           "--max-len", str(args.max_len), "--seed", str(args.seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mib"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="embedded")
    p.add_argument("--data", default="data/reflections/seed.jsonl", help="records, or 'toy'")
    p.add_argument("--batch", type=int, default=2, help="records per batch")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--strategy", default="block")
    p.add_argument("--order", default="EAC")
    p.add_argument("--max-len", type=int, default=2048)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--memory", choices=("per-rate", "none", "only"), default="per-rate",
                   help="peak memory per form and rate in fresh processes; 'only' skips timing")
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--form", default="b", help=argparse.SUPPRESS)
    p.add_argument("--rate", type=float, default=0.0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_child:
        memory_child(args)
        return 0

    if args.memory == "only":
        rows = [{"rate": str(Fraction(rate).limit_denominator(3)),
                 **{form: measure_memory(args, form, rate) for form in ("a", "b")}}
                for rate in RATES]
        for r in rows:
            print(f"rate {r['rate']:>3}: peak MiB above the loaded model: a {r['a']:.0f}, "
                  f"b {r['b']:.0f}", flush=True)
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps({"memory_rows": rows}, indent=1))
        return 0

    import torch

    model, tok, enc = _setup(args)
    record_tokens = sum(len(e.teacher) for e in enc)
    print(f"{args.model}: {len(enc)} records, {record_tokens} teacher tokens "
          f"({[len(e.teacher) for e in enc]}), {args.threads} threads", flush=True)
    _step(model, _batch(enc, 0.5, args), "b")  # warm-up: allocator, kernels
    _step(model, _batch(enc, 0.5, args), "a")
    rows = []
    for rate in RATES:
        batch = _batch(enc, rate, args)
        times = {"a": [], "b": []}
        cpu = {"a": [], "b": []}
        terms = {}
        for r in range(args.repeats):
            for form in (("a", "b") if r % 2 == 0 else ("b", "a")):
                t0, c0 = time.perf_counter(), time.process_time()
                terms[form] = _step(model, batch, form)
                times[form].append(time.perf_counter() - t0)
                cpu[form].append(time.process_time() - c0)
        from rcwork.distill import loss_terms

        with torch.no_grad():
            ta = loss_terms(model, batch, "attention")
        tb = terms["b"]
        diff = max(abs(getattr(ta, k).item() - getattr(tb, k).item())
                   for k in ("ntp", "student_ntp", "kl"))
        row = {"rate": str(Fraction(rate).limit_denominator(3)), "max_abs_term_diff": diff,
               "terms": {k: getattr(tb, k).item() for k in ("ntp", "student_ntp", "kl")}}
        for form in ("a", "b"):
            t = statistics.median(times[form])
            row[form] = {"step_s": t, "times_s": times[form],
                         "cpu_s": statistics.median(cpu[form]), "cpu_times_s": cpu[form],
                         "computed_tokens": _computed_tokens(batch, form),
                         "record_tokens_per_s": record_tokens / t,
                         "computed_tokens_per_s": _computed_tokens(batch, form) / t}
            if args.memory == "per-rate":
                row[form]["peak_mib"] = measure_memory(args, form, rate)
        row["ratio"] = row["b"]["step_s"] / row["a"]["step_s"]
        row["cpu_ratio"] = row["b"]["cpu_s"] / row["a"]["cpu_s"]
        rows.append(row)
        mem = (f" | peak MiB a {row['a']['peak_mib']:.0f} b {row['b']['peak_mib']:.0f}"
               if args.memory == "per-rate" else "")
        print(f"rate {row['rate']:>3}: a {row['a']['step_s']:.2f}s "
              f"({row['a']['record_tokens_per_s']:.0f} rec tok/s), b {row['b']['step_s']:.2f}s "
              f"({row['b']['record_tokens_per_s']:.0f} rec tok/s), ratio {row['ratio']:.3f} "
              f"(CPU time a {row['a']['cpu_s']:.1f}s b {row['b']['cpu_s']:.1f}s, ratio "
              f"{row['cpu_ratio']:.3f}), "
              f"max |term diff| {diff:.2e}{mem}", flush=True)
    mean_ratio = statistics.mean(r["ratio"] for r in rows)
    mean_cpu_ratio = statistics.mean(r["cpu_ratio"] for r in rows)
    mean_time_ratio = (statistics.mean(r["b"]["step_s"] for r in rows)
                       / statistics.mean(r["a"]["step_s"] for r in rows))
    worst = max(r["max_abs_term_diff"] for r in rows)
    print(f"mean ratio (b)/(a) over rates: {mean_ratio:.3f} (ratio of mean step times "
          f"{mean_time_ratio:.3f}); by CPU time {mean_cpu_ratio:.3f}; target <= 0.6; "
          f"loss terms agree to {worst:.1e} (need 1e-4)")
    load = os.getloadavg()
    print(f"load average while measuring: {load[0]:.1f} (1 min) on {os.cpu_count()} CPUs")
    result = {"model": args.model, "data": args.data, "batch_records": len(enc),
              "record_tokens": record_tokens, "threads": args.threads,
              "strategy": args.strategy, "order": args.order, "repeats": args.repeats,
              "rows": rows, "mean_ratio": mean_ratio, "ratio_of_mean_times": mean_time_ratio,
              "mean_cpu_ratio": mean_cpu_ratio, "load_average": os.getloadavg(),
              "max_abs_term_diff": worst, "terms_agree": worst <= 1e-4,
              "torch_threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=1))
    return 0 if worst <= 1e-4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
