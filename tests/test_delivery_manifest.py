"""Manifests, verify, reproducible zips, atomic staging and backups (delivery/manifest.py, backup.py)."""

import json
import zipfile
from datetime import datetime

import pytest

from sscard_analysis.cli import main
from sscard_analysis.delivery.backup import write_backup
from sscard_analysis.ingest.files import file_hash
from sscard_analysis.delivery.manifest import (
    MANIFEST,
    DeliveryError,
    publish,
    staging,
    verify,
    write_manifest,
    write_zip,
)

WHEN = datetime(2024, 5, 31, 23, 59, 59)


@pytest.fixture
def package(tmp_path):
    """A small published package: two files in a subfolder and one at the top, its manifest and zip."""
    target = tmp_path / "out" / "包_2024-05"
    with staging(target) as work:
        (work / "报告").mkdir()
        (work / "报告" / "月报.html").write_text("<p>月报</p>", encoding="utf-8")
        (work / "报告" / "周报.html").write_text("<p>周报</p>", encoding="utf-8")
        (work / "清单.csv").write_bytes(b"a,b\n1,2\n")
        write_manifest(work, "package", {"tickets.xlsx": "ab" * 32}, {"period": "2024-05"}, WHEN)
        publish(work, target, tmp_path / "out" / "包_2024-05.zip", WHEN)
    return target


def test_manifest_lists_every_file_with_hash_and_size(package):
    m = json.loads((package / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(m["files"]) == ["报告/周报.html", "报告/月报.html", "清单.csv"]
    # "a,b\n1,2\n" is 8 bytes
    assert m["files"]["清单.csv"] == {"sha256": file_hash(package / "清单.csv"), "size": 8}
    assert m["inputs"] == {"tickets.xlsx": "ab" * 32}
    assert m["parameters"] == {"period": "2024-05"} and m["kind"] == "package" and m["package_version"]
    assert m["built_at"] == "2024-05-31T23:59:59"


def test_intact_folder_and_zip_verify(package):
    for path in (package, package.with_suffix(".zip")):
        r = verify(path)
        assert r.ok and r.files == 3, r.lines()


def test_one_changed_byte_is_named(package):
    f = package / "报告" / "月报.html"
    data = bytearray(f.read_bytes())
    data[3] ^= 0x01
    f.write_bytes(bytes(data))
    r = verify(package)
    assert not r.ok and r.changed == ["报告/月报.html"] and not r.missing and not r.extra
    assert "已改动: 报告/月报.html" in r.lines()


def test_missing_and_extra_files_are_named(package):
    (package / "清单.csv").unlink()
    (package / "报告" / "附件.txt").write_text("x", encoding="utf-8")
    r = verify(package)
    assert r.missing == ["清单.csv"] and r.extra == ["报告/附件.txt"] and not r.changed


def test_changed_zip_member_is_named(package, tmp_path):
    src = package.with_suffix(".zip")
    dst = tmp_path / "changed.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info, data.replace("周报".encode(), "日报".encode()) if info.filename.endswith("周报.html") else data)
    r = verify(dst)
    assert r.changed == ["报告/周报.html"] and not r.missing and not r.extra


def test_flipped_byte_inside_zip_entry_is_a_changed_file(package, tmp_path):
    """A byte flipped in the stored data of one entry: its CRC or inflate fails, that file is reported."""
    data = bytearray(package.with_suffix(".zip").read_bytes())
    with zipfile.ZipFile(package.with_suffix(".zip")) as zf:
        info = zf.getinfo("包_2024-05/清单.csv")
    offset = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)  # start of the entry's data
    data[offset] ^= 0xFF
    bad = tmp_path / "bad.zip"
    bad.write_bytes(bytes(data))
    r = verify(bad)
    assert r.changed == ["清单.csv"]


def test_folder_without_manifest_is_incomplete(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.txt").write_text("a")
    r = verify(tmp_path / "x")
    assert not r.ok and "manifest.json" in r.problem


def test_unusable_input_raises(tmp_path):
    (tmp_path / "a.txt").write_text("not a zip")
    with pytest.raises(DeliveryError):
        verify(tmp_path / "a.txt")
    with pytest.raises(DeliveryError):
        verify(tmp_path / "nothing-here")


def test_verify_exit_codes(package, tmp_path, capsys):
    assert main(["verify", str(package)]) == 0
    assert "完整" in capsys.readouterr().out
    (package / "清单.csv").write_bytes(b"a,b\n1,3\n")
    assert main(["verify", str(package)]) == 1
    assert "已改动: 清单.csv" in capsys.readouterr().out
    assert main(["verify", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.startswith("错误: ")


def test_zip_is_reproducible(tmp_path):
    """Same content, different file times and creation order: byte-identical zips."""
    a, b = tmp_path / "a" / "pkg", tmp_path / "b" / "pkg"
    for folder, names in ((a, ["x.txt", "y/z.txt"]), (b, ["y/z.txt", "x.txt"])):
        for n in names:
            (folder / n).parent.mkdir(parents=True, exist_ok=True)
            (folder / n).write_text(n, encoding="utf-8")
    write_zip(a, tmp_path / "a.zip", WHEN)
    write_zip(b, tmp_path / "b.zip", WHEN)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert zf.namelist() == ["pkg/x.txt", "pkg/y/z.txt"]
        assert {i.date_time for i in zf.infolist()} == {(2024, 5, 31, 23, 59, 58)}  # zip times have 2-second steps


def test_failed_build_leaves_nothing(tmp_path):
    target = tmp_path / "out" / "包"
    with pytest.raises(RuntimeError):
        with staging(target) as work:
            (work / "a.txt").write_text("half")
            raise RuntimeError("中途失败")
    assert list((tmp_path / "out").iterdir()) == []


def test_rebuild_replaces_the_older_package(package):
    with staging(package) as work:
        (work / "新.txt").write_text("new", encoding="utf-8")
        write_manifest(work, "package", {}, {}, WHEN)
        publish(work, package)
    assert sorted(p.name for p in package.iterdir()) == ["manifest.json", "新.txt"]
    assert [p.name for p in package.parent.iterdir() if p.name.startswith(".")] == []
    assert verify(package).ok


def test_backup_archives_the_raw_files_and_verifies(tmp_path, capsys):
    data = tmp_path / "data"
    (data / "2024").mkdir(parents=True)
    (data / "工单台账2024年05月.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (data / "2024" / "培训.csv").write_text("编号,日期,类型\n1,2024-05-06,内部培训\n", encoding="utf-8")
    (data / "~$工单台账2024年05月.xlsx").write_bytes(b"lock")  # an Office lock file is not a ledger
    (data / "sscard.toml").write_text("[contract]\nstart = 2024-03-01\n", encoding="utf-8")
    out = tmp_path / "backup" / "台账备份_2024-05-31.zip"
    assert main(["backup", "--data", str(data), "--out", str(out)]) == 0
    assert "已备份 3 个文件" in capsys.readouterr().out
    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        m = json.loads(zf.read("台账备份_2024-05-31/manifest.json"))
    assert names == sorted(f"台账备份_2024-05-31/{n}" for n in
                           ["2024/培训.csv", "sscard.toml", "工单台账2024年05月.xlsx", "manifest.json"])
    assert m["kind"] == "backup" and m["files"]["2024/培训.csv"]["sha256"] == file_hash(data / "2024" / "培训.csv")
    assert m["inputs"]["sscard.toml"] == file_hash(data / "sscard.toml")
    assert main(["verify", str(out)]) == 0
    assert "台账备份" in capsys.readouterr().out


def test_backup_of_a_missing_folder_is_exit_2(tmp_path, capsys):
    assert main(["backup", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "b.zip")]) == 2
    assert "数据目录不存在" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()


def test_backup_is_atomic_on_failure(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("x")
    import sscard_analysis.delivery.backup as B

    monkeypatch.setattr(B, "manifest_text", lambda *a, **k: (_ for _ in ()).throw(OSError("磁盘已满")))
    with pytest.raises(OSError):
        write_backup(data, tmp_path / "b.zip")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
