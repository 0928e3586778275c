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
    receivers = subprocess.Popen([os.path.join(VENV, "python"), os.path.join(ROOT, "tests/fakes/receivers.py")],
                                 stdout=subprocess.PIPE, text=True)
    rx = json.loads(receivers.stdout.readline())["http"]
    wait(moto_port)
    wait(xray_port)
    return [moto, xray, receivers], f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{xray_port}", rx


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


FAKE_KEY = "hcaik_01benchkey0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8"


def run_ok(args, env, cwd=None):
    r = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{args} failed: {r.stderr}")


def workspace_cases(moto, xray, rx):
    """doctor and up: (title, rows of (name, ours, theirs-command, theirs-label, prepare), target)."""
    workspace = tempfile.mkdtemp()
    env = dict(ENV, AWS_ENDPOINT_URL=moto, AWS_ENDPOINT_URL_XRAY=xray, HONEYCOMB_API_KEY=FAKE_KEY,
               HONEYCOMB_API_ENDPOINT=rx, OTEL_EXPORTER_OTLP_ENDPOINT=rx, OTEL_SERVICE_NAME="backend-flask",
               OTEL_EXPORTER_OTLP_HEADERS=f"x-honeycomb-team={FAKE_KEY}", ROLLBAR_ACCESS_TOKEN="0123456789abcdef0123456789abcdef",
               ROLLBAR_ENDPOINT=f"{rx}/api/1/")
    run_ok([OURS, "init", workspace, "--yes", "--region", "us-east-1"], env)
    urllib.request.urlopen(urllib.request.Request(f"{rx}/_fake/honeycomb/keys", method="POST", data=json.dumps(
        {"key": FAKE_KEY, "type": "ingest", "environment": {"name": "bootcamp", "slug": "bootcamp"}}).encode())).read()
    return workspace, env


def main():
    global ENV
    servers, moto, xray, rx = start_servers()
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

        # doctor and up, on a scaffolded workspace against the same local services.
        post(f"{moto}/moto-api/reset")
        post(f"{xray}/_fake/reset")
        workspace, wenv = workspace_cases(moto, xray, rx)
        saved, ENV = ENV, wenv
        reset_both = f"{reset_moto} && {reset_xray}"
        up = [OURS, "up", workspace, "--yes"]
        sequence = ["sh", "-c", " && ".join([
            f"{AWS} --endpoint-url {xray} xray create-group --group-name Cruddur --filter-expression 'service(\"backend-flask\") {{fault OR error}}' >/dev/null",
            f"{AWS} --endpoint-url {xray} xray create-sampling-rule --cli-input-json file://{workspace}/aws/json/xray.json >/dev/null",
            f"{AWS} --endpoint-url {moto} logs create-log-group --log-group-name cruddur",
            f"{AWS} --endpoint-url {moto} logs put-retention-policy --log-group-name cruddur --retention-in-days 7",
        ])]
        t_up, t_seq = wall([up, sequence], reset_both)
        run_ok(up, wenv)
        doctor_full = [OURS, "doctor", workspace]
        doctor_offline = [OURS, "doctor", workspace, "--offline"]
        sts = [AWS, "--endpoint-url", moto, "sts", "get-caller-identity"]
        t_full, t_offline, t_sts = wall([doctor_full, doctor_offline, sts], None)
        ENV = saved
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

    print("\n| command | wall time | compared with | its wall time | ratio | target |")
    print("|---|---|---|---|---|---|")
    print(f"| up (fresh workspace: group, rule, log group, retention) | {t_up * 1000:.1f} ms | the 4 aws cli commands, one after another | {t_seq * 1000:.0f} ms | 1/{t_seq / t_up:.0f} | <= 1/50 |")
    print(f"| doctor, all {''}checks, against the local services | {t_full * 1000:.1f} ms | aws sts get-caller-identity alone | {t_sts * 1000:.0f} ms | 1/{t_sts / t_full:.0f} | < 1 |")
    print(f"| doctor --offline | {t_offline * 1000:.1f} ms | aws sts get-caller-identity alone | {t_sts * 1000:.0f} ms | 1/{t_sts / t_offline:.0f} | < 1 |")
    ok &= t_up <= t_seq / 50 and t_full < t_sts and t_offline < t_sts
    print("\nall targets met" if ok else "\nSOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
