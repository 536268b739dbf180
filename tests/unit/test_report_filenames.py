"""File names for series ids (reports.filenames): distinct, readable in any script, and never
outside their folder, whatever the shop's ids hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from promocast.reports.filenames import clean_stem, file_stems, id_hash, path_in

TRICKY = ["商品3/北京店", "商品3_北京店", "A1/S1", "a1/s1", "..", "../..", "/", "", "...etc",
          "a:b", "a?b", "CON", "nul.txt", "x\ty\n", "店\u200b铺", "  ", "a" * 300, "商" * 100]


def test_ids_keep_their_letters_in_any_script() -> None:
    stems = file_stems(["商品3/北京店", "SKU0001/S1", "サンプル/東京", "상품/서울", "Café 1/S"])
    assert stems == {"商品3/北京店": "商品3_北京店", "SKU0001/S1": "SKU0001_S1",
                     "サンプル/東京": "サンプル_東京", "상품/서울": "상품_서울",
                     "Café 1/S": "Café 1_S"}


def test_every_id_gets_a_distinct_name_that_stays_in_its_folder(tmp_path: Path) -> None:
    stems = file_stems(TRICKY)
    assert set(stems) == set(TRICKY)
    names = [stems[uid].casefold() for uid in TRICKY]
    assert len(set(names)) == len(TRICKY)  # distinct, even case-blind (Windows, macOS)
    for uid, stem in stems.items():
        assert stem and stem not in (".", "..") and not stem.startswith((".", " "))
        assert not set(stem) & set('\\/<>:"|?*\t\n\x00\u200b'), uid
        assert len(stem.encode()) <= 160
        path = path_in(tmp_path, stem, ".png")
        assert path.parent == tmp_path and path.resolve().parent == tmp_path.resolve()
        path.write_bytes(b"")  # the file system takes it
    assert len(list(tmp_path.iterdir())) == len(TRICKY)


def test_a_hash_marks_the_names_that_cleaning_emptied_cut_or_merged() -> None:
    stems = file_stems(TRICKY)
    assert stems["商品3_北京店"] == "商品3_北京店"  # spelled as its name: keeps it
    assert stems["商品3/北京店"] == f"商品3_北京店_{id_hash('商品3/北京店')}"
    # neither spelled as the name they share (case-blind): both marked
    assert (stems["A1/S1"], stems["a1/s1"]) == (f"A1_S1_{id_hash('A1/S1')}",
                                              f"a1_s1_{id_hash('a1/s1')}")
    assert file_stems(["A1_S1", "a1/s1"]) == {"A1_S1": "A1_S1",
                                              "a1/s1": f"a1_s1_{id_hash('a1/s1')}"}
    assert stems[".."] == f"series_{id_hash('..')}" and stems[""] == f"series_{id_hash('')}"
    assert stems["CON"] == f"CON_{id_hash('CON')}"  # a Windows device name
    assert stems["a" * 300].endswith(id_hash("a" * 300))
    assert stems["a:b"] != stems["a?b"] and {stems["a:b"][:4], stems["a?b"][:4]} == {"a_b_"}


def test_names_do_not_depend_on_the_order_of_the_ids() -> None:
    assert file_stems(TRICKY) == file_stems(list(reversed(TRICKY)))
    assert file_stems(["x/y"]) == {"x/y": "x_y"}  # alone: no hash needed


def test_clean_stem_replaces_runs_and_trims() -> None:
    assert clean_stem("a//b") == ("a_b", False)
    assert clean_stem(" ./商品/ ") == ("商品", False)
    assert clean_stem("../..") == ("", True)


@pytest.mark.parametrize("stem", ["..", "a/b", "a\\b", "", "."])
def test_path_in_refuses_names_that_leave_the_folder(tmp_path: Path, stem: str) -> None:
    with pytest.raises(ValueError, match="would leave the folder"):
        path_in(tmp_path, stem, "")
