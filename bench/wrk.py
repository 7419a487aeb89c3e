"""Throughput as wrk (Debian's `wrk`) measures it: one thread, kept-alive connections,
asking for gzip as browsers do."""

import dataclasses
import re
import shutil
import statistics
import subprocess
import tempfile

CONNECTIONS = 8
# A new query string on every request: the page is rendered each time, never cached.
UNIQUE_QUERY = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "?unique=" .. counter)
end
"""


@dataclasses.dataclass(frozen=True)
class Load:
    """What one wrk run saw."""

    requests_per_second: float
    requests: int
    # What came back, headers and (compressed) body, per request.
    bytes_per_request: int
    # Answers other than 2xx and 3xx, and connections refused, cut or timed out.
    bad_status: int
    socket_errors: int


def wrk_binary() -> str:
    found = shutil.which("wrk") or shutil.which("wrk", path="/usr/bin:/usr/local/bin")
    if not found:
        raise SystemExit("The bench needs wrk: apt-get install wrk")
    return found


def parse(output: str) -> Load:
    """The figures in wrk's report."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)([KMG]?B) read", output)
    if not rate or not total:
        raise RuntimeError(f"wrk said:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    requests = int(total.group(1))
    read = float(total.group(2)) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[total.group(3)]
    return Load(
        requests_per_second=float(rate.group(1)),
        requests=requests,
        bytes_per_request=round(read / max(requests, 1)),
        bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def load(url: str, seconds: float, connections: int = CONNECTIONS, *, unique: bool = False) -> Load:
    """Hit `url` for `seconds` with `connections` kept-alive connections on one thread;
    `unique`: with a new query string each time."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(UNIQUE_QUERY if unique else "")
        script.flush()
        return run(url, seconds, connections, script.name)


def run(url: str, seconds: float, connections: int, script: str) -> Load:
    result = subprocess.run(  # noqa: S603 (wrk, with our own arguments)
        [
            wrk_binary(),
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--header",
            "Accept-Encoding: gzip",
            "--script",
            script,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse(result.stdout)


def combined(loads: list[Load]) -> Load:
    """Several runs of equal length as one."""
    return Load(
        requests_per_second=sum(one.requests_per_second for one in loads) / len(loads),
        requests=sum(one.requests for one in loads),
        bytes_per_request=round(statistics.mean(one.bytes_per_request for one in loads)),
        bad_status=sum(one.bad_status for one in loads),
        socket_errors=sum(one.socket_errors for one in loads),
    )
