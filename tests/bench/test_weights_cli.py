"""`unison-bench weights list|verify|fetch` against local HTTP servers (no network): a plain file
server with Range support that can cut a transfer mid-file, and a stand-in for the Hugging Face hub
answering the HEAD / GET requests hf_hub_download makes."""
from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.cli import main
from bench.weights import cli as weights_cli
from bench.weights.inventory import Inventory, Listed
from unison.core.weights import WeightSpec

PAYLOAD = bytes(range(256)) * 4096  # 1 MiB, bytes differ by position so a wrong offset shows
COMPANION = b'{"sampling_rate": 16000}\n'
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Server:
    """Serves ``files`` (url path -> bytes). ``cut_once``: paths whose first GET sends the full
    Content-Length but only half the bytes, then drops the connection. HEAD answers carry the
    headers hf_hub_download needs (X-Repo-Commit, ETag)."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.cut_once: set[str] = set()
        self.requests: list[tuple[str, str, str | None]] = []  # (method, path, Range header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _head(self, send_body: bool):
                server.requests.append((self.command, self.path, self.headers.get("Range")))
                data = server.files.get(self.path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("ETag", f'"{sha(data)}"')
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if not send_body:
                    return
                if self.path in server.cut_once:
                    server.cut_once.discard(self.path)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

            def do_HEAD(self):
                self._head(False)

            def do_GET(self):
                self._head(True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with Server() as s:
        yield s


@pytest.fixture
def weights_dir(tmp_path, monkeypatch):
    root = tmp_path / "weights"
    monkeypatch.setenv("UNISON_WEIGHTS_DIR", str(root))
    monkeypatch.setenv("UNISON_CACHE_DIR", str(tmp_path / "cache"))  # the sha256 memo
    return root


def use_specs(monkeypatch, *entries: tuple[WeightSpec, str]) -> None:
    """The weights commands see only these (spec, protocol) entries."""
    files = {s.name: Listed(s, metrics=[f"m@{s.name}"], protocols={proto}) for s, proto in entries}
    monkeypatch.setattr(weights_cli, "build_inventory", lambda: Inventory(files, []))


def http_spec(server, name="toy", sha256=None, path="/files/toy.pt", data=PAYLOAD) -> WeightSpec:
    server.files[path] = data
    return WeightSpec(name=name, filename="toy.pt", env=f"UNISON_TEST_{name.upper()}", url=server.url + path,
                      sha256=sha256)


def run(*argv) -> int:
    return main(["weights", *argv])


def lock_of(root: Path) -> dict:
    return json.loads((root / "weights.lock.json").read_text())


# ------------------------------------------------------------------ fetch over plain HTTP

def test_fetch_writes_the_verified_file_and_records_it_in_the_lock(server, weights_dir, monkeypatch, capsys):
    use_specs(monkeypatch, (http_spec(server), "paper"))
    assert run("fetch", "--no-progress") == 0
    target = weights_dir / "toy" / "toy.pt"
    assert target.read_bytes() == PAYLOAD
    assert not list((weights_dir / "toy").glob("*.part"))
    assert lock_of(weights_dir)["files"]["toy/toy.pt"] == {"sha256": sha(PAYLOAD), "size": len(PAYLOAD)}
    assert "1 fetched" in capsys.readouterr().out
    # a second fetch finds it in place and downloads nothing
    n = len(server.requests)
    assert run("fetch", "--no-progress") == 0
    assert len(server.requests) == n and "1 already present" in capsys.readouterr().out


def test_fetch_checks_the_published_sha256(server, weights_dir, monkeypatch):
    use_specs(monkeypatch, (http_spec(server, sha256=sha(PAYLOAD)), "paper"))
    assert run("fetch", "--no-progress") == 0
    assert (weights_dir / "toy" / "toy.pt").read_bytes() == PAYLOAD
    assert not (weights_dir / "weights.lock.json").exists()  # a published pin needs no lock entry


def test_fetch_resumes_a_cut_transfer_with_a_range_request(server, weights_dir, monkeypatch):
    spec = http_spec(server, sha256=sha(PAYLOAD))
    server.cut_once.add("/files/toy.pt")
    use_specs(monkeypatch, (spec, "paper"))
    assert run("fetch", "--no-progress") == 0
    gets = [r for r in server.requests if r[0] == "GET"]
    assert len(gets) == 2 and gets[0][2] is None
    rng = gets[1][2]
    assert rng and rng.startswith("bytes=") and rng.endswith("-")
    assert 0 < int(rng[6:-1]) <= len(PAYLOAD) // 2  # resumed from the bytes received, not from 0
    assert (weights_dir / "toy" / "toy.pt").read_bytes() == PAYLOAD


def test_fetch_refuses_and_deletes_a_corrupted_download(server, weights_dir, monkeypatch, capsys):
    bad = bytearray(PAYLOAD)
    bad[1000] ^= 0xFF
    use_specs(monkeypatch, (http_spec(server, sha256=sha(PAYLOAD), data=bytes(bad)), "paper"))
    assert run("fetch", "--no-progress") == 1
    err = capsys.readouterr().err
    assert "corrupted download refused and deleted" in err and sha(bytes(bad)) in err and sha(PAYLOAD) in err
    assert not (weights_dir / "toy").exists() or not any((weights_dir / "toy").iterdir())


def test_fetch_refuses_a_download_that_differs_from_the_lock(server, weights_dir, monkeypatch, capsys):
    spec = http_spec(server)
    use_specs(monkeypatch, (spec, "paper"))
    assert run("fetch", "--no-progress") == 0
    server.files["/files/toy.pt"] = PAYLOAD[::-1]  # the server now hands out another file
    assert run("fetch", "--force", "--no-progress") == 1
    err = capsys.readouterr().err
    assert "toy/toy.pt" in err and "--update-lock" in err
    assert (weights_dir / "toy" / "toy.pt").read_bytes() == PAYLOAD  # the verified file stays
    assert run("fetch", "--force", "--update-lock", "--no-progress") == 0
    assert lock_of(weights_dir)["files"]["toy/toy.pt"]["sha256"] == sha(PAYLOAD[::-1])


def test_fetch_reports_files_without_a_published_url(weights_dir, monkeypatch, capsys):
    spec = WeightSpec(name="manual", filename="m.pth", how_to_get="ask the authors")
    use_specs(monkeypatch, (spec, "paper"))
    assert run("fetch", "--no-progress") == 0
    out = capsys.readouterr().out
    assert "no published URL (ask the authors)" in out and "1 to provide by hand" in out


# ------------------------------------------------------------------ fetch through the HF hub stand-in

def test_fetch_through_hf_hub_download_from_a_local_endpoint(server, weights_dir, monkeypatch):
    from huggingface_hub import constants

    server.files["/org/toy/resolve/main/toy.bin"] = PAYLOAD
    server.files["/org/toy/resolve/main/config.json"] = COMPANION
    spec = WeightSpec(name="hubtoy", filename="toy.bin", env="UNISON_TEST_HUBTOY", hf_repo="org/toy",
                      companions=("config.json",))
    use_specs(monkeypatch, (spec, "paper"))
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # read once at import; the tests import it offline
    monkeypatch.setenv("HF_HOME", str(weights_dir.parent / "hf-home"))
    assert run("fetch", "--no-progress") == 0
    assert (weights_dir / "hubtoy" / "toy.bin").read_bytes() == PAYLOAD
    assert (weights_dir / "hubtoy" / "config.json").read_bytes() == COMPANION
    assert not (weights_dir / "hubtoy" / ".fetch").exists()
    assert set(lock_of(weights_dir)["files"]) == {"hubtoy/toy.bin", "hubtoy/config.json"}
    assert any(m == "GET" and p == "/org/toy/resolve/main/toy.bin" for m, p, _ in server.requests)


def test_fetch_from_the_hub_refused_when_offline(weights_dir, monkeypatch, capsys):
    from huggingface_hub import constants

    spec = WeightSpec(name="hubtoy", filename="toy.bin", env="UNISON_TEST_HUBTOY", hf_repo="org/toy")
    use_specs(monkeypatch, (spec, "paper"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    assert run("fetch", "--no-progress") == 1
    assert "HF_HUB_OFFLINE=0" in capsys.readouterr().err


# ------------------------------------------------------------------ verify

def test_verify_records_then_flags_a_swapped_file(weights_dir, monkeypatch, capsys):
    spec = WeightSpec(name="toy", filename="toy.pt", env="UNISON_TEST_TOY")
    use_specs(monkeypatch, (spec, "paper"))
    f = weights_dir / "toy" / "toy.pt"
    f.parent.mkdir(parents=True)
    f.write_bytes(PAYLOAD)
    assert run("verify") == 0
    assert lock_of(weights_dir)["files"]["toy/toy.pt"]["sha256"] == sha(PAYLOAD)
    f.write_bytes(PAYLOAD[::-1])
    capsys.readouterr()
    assert run("verify") == 1
    err = capsys.readouterr().err
    assert str(f) in err and sha(PAYLOAD) in err and sha(PAYLOAD[::-1]) in err
    assert "weights fetch toy --force" in err and "--update-lock" in err
    assert run("verify", "--update-lock") == 0
    assert lock_of(weights_dir)["files"]["toy/toy.pt"]["sha256"] == sha(PAYLOAD[::-1])
    assert run("verify") == 0


def test_verify_flags_a_file_that_differs_from_its_published_sha256(weights_dir, monkeypatch, capsys):
    spec = WeightSpec(name="toy", filename="toy.pt", env="UNISON_TEST_TOY", sha256=sha(PAYLOAD))
    use_specs(monkeypatch, (spec, "paper"))
    f = weights_dir / "toy" / "toy.pt"
    f.parent.mkdir(parents=True)
    f.write_bytes(PAYLOAD[:-1])
    assert run("verify", "--update-lock") == 1  # a published pin is not the lock's to override
    err = capsys.readouterr().err
    assert "published sha256" in err and sha(PAYLOAD) in err and sha(PAYLOAD[:-1]) in err
    f.write_bytes(PAYLOAD)
    assert run("verify", "--json") == 0
    rows = json.loads(capsys.readouterr().out)["files"]
    assert [r["status"] for r in rows] == ["ok (published sha256)"]


# ------------------------------------------------------------------ list

def test_list_names_every_place_looked_for_a_missing_file(weights_dir, monkeypatch, capsys):
    spec = WeightSpec(name="toy", filename="toy.pt", env="UNISON_TEST_TOY", hf_repo="org/not-cached")
    use_specs(monkeypatch, (spec, "paper"))
    monkeypatch.setenv("HF_HUB_CACHE", str(weights_dir.parent / "empty-hf-cache"))
    assert run("list") == 0
    out = capsys.readouterr().out
    assert "$UNISON_TEST_TOY (not set)" in out
    assert f"{weights_dir / 'toy' / 'toy.pt'} (missing)" in out
    assert "HF cache org/not-cached" in out and "needed by: m@toy" in out


def test_list_filters_by_protocol_and_reports_found_files(weights_dir, monkeypatch, capsys):
    paper = WeightSpec(name="p", filename="p.pt", env="UNISON_TEST_P")
    offline = WeightSpec(name="o", filename="o.pt", env="UNISON_TEST_O")
    use_specs(monkeypatch, (paper, "paper"), (offline, "offline"))
    (weights_dir / "p").mkdir(parents=True)
    (weights_dir / "p" / "p.pt").write_bytes(PAYLOAD)
    assert run("list", "--protocol", "paper", "--json") == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert [f["name"] for f in files] == ["p"]
    assert files[0]["size"] == len(PAYLOAD) and files[0]["sha256"] == sha(PAYLOAD) and files[0]["found"]
    assert run("list", "--protocol", "offline", "--json") == 0
    assert [f["name"] for f in json.loads(capsys.readouterr().out)["files"]] == ["o"]


def test_list_of_the_real_catalogs_maps_weights_to_variants(weights_dir, capsys):
    assert run("list", "--protocol", "paper", "--json") == 0
    files = {f["name"]: f for f in json.loads(capsys.readouterr().out)["files"]}
    assert "fad@vggish" in files["vggish"]["metrics"] and "paper" in files["vggish"]["protocols"]
    assert files["vggish"]["url"].startswith("https://")
    assert not any("model" in f["protocols"] and "paper" not in f["protocols"] for f in files.values())
    assert run("list", "--json") == 0
    everything = {f["name"] for f in json.loads(capsys.readouterr().out)["files"]}
    assert {"mmaudio-vae-16k", "bigvgan-v2-44k", "qwen2.5-omni-7b"} <= everything


# ------------------------------------------------------------------ bad input: one line, exit 2

def test_unknown_protocol_is_bad_input(capsys):
    assert run("list", "--protocol", "papers") == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unknown_name_is_bad_input(weights_dir, monkeypatch, capsys):
    use_specs(monkeypatch, (WeightSpec(name="toy", filename="toy.pt"), "paper"))
    assert run("verify", "nosuch") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'nosuch'" in err and "toy" in err and "Traceback" not in err


def test_unwritable_weights_dir_is_bad_input(tmp_path, monkeypatch, capsys):
    use_specs(monkeypatch, (WeightSpec(name="toy", filename="toy.pt", url="http://127.0.0.1:9/x"), "paper"))
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert run("fetch", "--weights-dir", str(blocker / "weights"), "--no-progress") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not writable" in err and "--weights-dir" in err and "Traceback" not in err


def test_lock_file_that_is_not_json_is_bad_input(weights_dir, monkeypatch, capsys):
    use_specs(monkeypatch, (WeightSpec(name="toy", filename="toy.pt"), "paper"))
    weights_dir.mkdir(parents=True)
    lock = weights_dir / "weights.lock.json"
    lock.write_text("{not json")
    assert run("verify") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(lock) in err and "not readable JSON" in err and "Traceback" not in err
    assert lock.read_text() == "{not json"  # left for the user to look at
