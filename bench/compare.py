"""Runs each operation with cruddur-obs and with the aws cli against the same local endpoint and
reports median wall time (hyperfine) and peak memory (GNU time), with the ratios."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv", "bin")
OURS = os.path.join(ROOT, "target", "release", "cruddur-obs")
AWS = os.path.join(VENV, "aws")
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
ENV = {
    "PATH": os.environ["PATH"],
    "HOME": tempfile.mkdtemp(),
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(port):
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port}")


def post(url):
    urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST")).read()


def start_servers():
    moto_port, xray_port = free_port(), free_port()
    moto = subprocess.Popen([os.path.join(VENV, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    xray = subprocess.Popen([os.path.join(VENV, "python"), os.path.join(ROOT, "tests/fakes/xray_fake.py"),
                             "--port", str(xray_port)], stdout=subprocess.DEVNULL)
    wait(moto_port)
    wait(xray_port)
    return [moto, xray], f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{xray_port}"


def quote(args):
    return " ".join("'" + a.replace("'", "'\\''") + "'" for a in args)


def wall(commands, prepare):
    """Median seconds for each command, from one hyperfine run."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = ["hyperfine", "--style", "none", "--warmup", "2", "--runs", str(RUNS), "--export-json", out.name]
        if prepare:
            cmd += ["--prepare", prepare]
        subprocess.run(cmd + [quote(c) for c in commands], check=True, env=ENV, stdout=subprocess.DEVNULL)
        return [r["median"] for r in json.load(open(out.name))["results"]]


def peak_rss_kib(command, prepare):
    """Largest resident set over five runs, in KiB."""
    peak = 0
    for _ in range(5):
        if prepare:
            subprocess.run(prepare, shell=True, check=True, env=ENV)
        r = subprocess.run(["/usr/bin/time", "-f", "%M"] + command, env=ENV, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{command} failed: {r.stderr}")
        peak = max(peak, int(r.stderr.strip().splitlines()[-1]))
    return peak


def main():
    servers, moto, xray = start_servers()
    rule = "file://" + os.path.join(ROOT, "aws/json/xray.json")
    reset_moto = f"{VENV}/python -c \"import urllib.request as u; u.urlopen(u.Request('{moto}/moto-api/reset', data=b'', method='POST'))\""
    reset_xray = reset_moto.replace(f"{moto}/moto-api/reset", f"{xray}/_fake/reset")
    try:
        post(f"{moto}/moto-api/reset")
        cases = [
            ("logs create-log-group", ["logs", "create-log-group", "--log-group-name", "cruddur"], moto, reset_moto),
            ("logs describe-log-groups", ["logs", "describe-log-groups"], moto, None),
            ("xray create-sampling-rule", ["xray", "create-sampling-rule", "--cli-input-json", rule], xray, reset_xray),
            ("xray get-sampling-rules", ["xray", "get-sampling-rules"], xray, None),
        ]
        rows = []
        for name, args, endpoint, prepare in cases:
            ours = [OURS] + args + ["--endpoint-url", endpoint, "--output", "json"]
            theirs = [AWS, "--endpoint-url", endpoint, "--output", "json"] + args
            # A state with something in it for the read-only operations.
            subprocess.run([OURS, "logs", "create-log-group", "--log-group-name", "cruddur", "--endpoint-url", moto],
                           env=ENV, capture_output=True)
            subprocess.run([OURS, "xray", "create-sampling-rule", "--cli-input-json", rule, "--endpoint-url", xray],
                           env=ENV, capture_output=True)
            t_ours, t_aws = wall([ours, theirs], prepare)
            m_ours, m_aws = peak_rss_kib(ours, prepare), peak_rss_kib(theirs, prepare)
            rows.append((name, t_ours, t_aws, m_ours, m_aws))
    finally:
        for s in servers:
            s.terminate()

    print(f"{RUNS} runs each after 2 warm-ups, median wall time; peak RSS is the largest of 5 runs.\n")
    print("| operation | cruddur-obs | aws cli | time ratio (target <= 1/25) | cruddur-obs RSS | aws cli RSS | memory ratio (target <= 1/3) |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    for name, t_ours, t_aws, m_ours, m_aws in rows:
        tr, mr = t_ours / t_aws, m_ours / m_aws
        ok &= tr <= 1 / 25 and mr <= 1 / 3
        print(f"| {name} | {t_ours * 1000:.1f} ms | {t_aws * 1000:.0f} ms | 1/{1 / tr:.0f} | "
              f"{m_ours / 1024:.1f} MiB | {m_aws / 1024:.1f} MiB | 1/{1 / mr:.1f} |")
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
