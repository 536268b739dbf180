"""Adapters for known public formats (``promocast ingest --format NAME``).

Real-data tests read ../shared/data (skipped with the reason when it is absent) and pin the
published counts; synthetic tests build the original public layouts that the shared folder does
not hold (Kaggle's wide M5 files, zipped Walmart CSVs, the UCI workbook, Stallion's CSVs, ...).
Every adapter's output is also run through the generic validator, which must accept it whole.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import shared_path
from promocast.data.formats import FORMATS, get_adapter
from promocast.data.formats.walmart import load as walmart_load
from promocast.data.frequency import infer_frequency
from promocast.data.schema import PROMO_TYPES, TABLES
from promocast.data.validate import validate_table
from promocast.exceptions import UsageError

Tables = dict[str, pd.DataFrame]


# ---------------------------------------------------------------- shared checks

def assert_contract(tables: Tables) -> None:
    """Canonical names and types, and every rule the generic validator enforces."""
    assert "sales" in tables or "orders" in tables
    for name, frame in tables.items():
        spec = TABLES[name]
        extra = set(frame.columns) - set(spec.names)
        if name == "sales":
            for column in extra:
                assert frame[column].dtype == "float64", f"exogenous {column} is not float"
                assert column == column.lower() and " " not in column
        else:
            assert not extra, f"{name}: non-canonical columns {extra}"
        assert set(spec.required) <= set(frame.columns), name
        for column in spec.columns:
            if column.name not in frame:
                continue
            values = frame[column.name]
            if column.dtype in ("date", "timestamp"):
                assert values.dtype == "datetime64[ns]", f"{name}.{column.name}: {values.dtype}"
                if column.dtype == "date":
                    assert (values.dropna() == values.dropna().dt.normalize()).all()
            elif column.dtype == "str":
                present = values.dropna()
                assert present.map(type).eq(str).all(), f"{name}.{column.name} is not str"
                assert not present.str.endswith(".0").any(), f"{name}.{column.name} has '.0'"
            else:
                assert pd.api.types.is_float_dtype(values), f"{name}.{column.name}: {values.dtype}"
        assert not frame.duplicated(list(spec.key)).any(), f"{name}: duplicate key {spec.key}"
        result, log = validate_table(frame.reset_index(drop=True), spec, name, first_row=1)
        assert log.total == 0, [str(e) for e in log.first(5)]
        assert result is not None
    if "sales" in tables:
        sales = tables["sales"]
        assert (sales["units"] >= 0).all()
        assert (sales["price"].dropna() > 0).all()
        assert (sales["base_price"].dropna() > 0).all()
        assert sales["on_promo"].isin([0.0, 1.0]).all()
    if "promotions" in tables and len(tables["promotions"]):
        promos = tables["promotions"]
        assert promos["promo_id"].is_unique
        assert (promos["end_date"] >= promos["start_date"]).all()
        assert promos["promo_type"].isin(PROMO_TYPES).all()
        assert (promos["item_id"].notna() | promos["category"].notna()).all()
        if "discount_pct" in promos:
            assert promos["discount_pct"].dropna().between(0, 100).all()
        if "sales" in tables:
            named = tables["sales"]["promo_id"].dropna()
            assert named.isin(promos["promo_id"]).all()


def series_count(sales: pd.DataFrame) -> int:
    return int(sales.groupby(["item_id", "store_id"]).ngroups)


def one_frequency_per_store(sales: pd.DataFrame, expected: str) -> None:
    for store, dates in sales.groupby("store_id")["date"]:
        assert infer_frequency(dates) == expected, store


def test_every_registered_format_has_a_loader() -> None:
    for name in FORMATS:
        assert callable(get_adapter(name))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_a_folder_without_the_files_is_a_usage_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "notes.txt").write_text("nothing here", encoding="utf-8")
    with pytest.raises(UsageError, match=str(tmp_path)):
        get_adapter(name)(tmp_path)


# ---------------------------------------------------------------- Dominick's

@pytest.fixture(scope="module")
def dominicks() -> Tables:
    return get_adapter("dominicks")(shared_path("dominicks_oj"))


def test_dominicks_counts_and_contract(dominicks: Tables) -> None:
    sales = dominicks["sales"]
    assert len(sales) == 106_139
    assert series_count(sales) == 913
    assert len(dominicks["items"]) == 11 and len(dominicks["stores"]) == 83
    assert sales["date"].dt.weekday.nunique() == 1  # every week starts on a Thursday
    assert (sales["date"].min(), sales["date"].max()) == (pd.Timestamp("1990-06-14"),
                                                          pd.Timestamp("1992-10-01"))
    one_frequency_per_store(sales, "W")
    assert {f"price_{b}" for b in range(1, 12)} | {"feat"} <= set(sales.columns)
    assert_contract(dominicks)


def test_dominicks_first_row_values(dominicks: Tables) -> None:
    raw = pd.read_csv(shared_path("dominicks_oj", "bayesm_orangeJuice_yx.csv.gz"), nrows=1)
    first = dominicks["sales"].iloc[0]
    assert (first["store_id"], first["item_id"]) == ("2", "1")
    assert first["date"] == pd.Timestamp("1990-06-14")  # week 40
    assert first["units"] == round(np.exp(raw.loc[0, "logmove"])) == 8256
    assert first["price"] == pytest.approx(raw.loc[0, "price1"] * 64)  # $ per 64-oz carton
    assert first["price_2"] == pytest.approx(raw.loc[0, "price2"] * 96)  # $ per 96-oz carton
    assert first["on_promo"] == 1.0 and first["promo_id"] == "deal-2-1-w40"


def test_dominicks_promotions_follow_deal_and_feature_runs(dominicks: Tables) -> None:
    sales, promos = dominicks["sales"], dominicks["promotions"]
    deals = promos[promos["promo_type"] == "amount_off"]
    features = promos[promos["promo_type"] == "feature_display"]
    assert (features["feature"] == 1).all() and len(deals) and len(features)
    weeks = ((deals["end_date"] - deals["start_date"]).dt.days + 1) // 7
    assert weeks.sum() == sales["on_promo"].sum()  # each deal week in exactly one run
    assert (sales["promo_id"].notna() == (sales["on_promo"] == 1)).all()
    items = dominicks["items"].set_index("item_id")
    assert items.loc["11", "name"] == "Dominicks 128 oz"
    assert (items["category"] == "refrigerated_juice").all()


def test_dominicks_oj_csv_layout_from_the_shared_file() -> None:
    path = shared_path("dominicks_oj", "oj_3brands_store_week.csv.gz")
    tables = get_adapter("dominicks")(path)
    sales = tables["sales"]
    raw = pd.read_csv(path)
    assert len(sales) == len(raw) == 28_947
    assert set(sales["item_id"]) == {"tropicana", "minute.maid", "dominicks"}
    assert series_count(sales) == 249
    assert sorted(sales["price"]) == sorted(raw["price"])  # $ per 64-oz carton as given
    assert_contract(tables)


def _write_yx(folder: Path) -> None:
    """A bayesm yx as R's write.csv gives it (microsoft/forecasting ``yx.csv``)."""
    rows = []
    for week, deal, feat in [(40, 1, 0.0), (41, 1, 0.5), (43, 1, 0.5), (44, 0, 0.0)]:
        prices = [0.05 + 0.001 * b for b in range(1, 12)]
        rows.append([2, 2, week, np.log(100.0 + week), 1, *prices, deal, feat, 30.0])
    rows.append([5, 11, 40, np.log(7.0), 1, *[0.03] * 11, 0, 0.0, 20.0])
    columns = ["store", "brand", "week", "logmove", "constant",
               *[f"price{b}" for b in range(1, 12)], "deal", "feat", "profit"]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "yx.csv")  # with an unnamed index
    pd.DataFrame({"STORE": [2, 5, 8], "AGE60": [0.2, 0.1, 0.3]}).to_csv(
        folder / "storedemo.csv", index=False)


def test_dominicks_bayesm_export_runs_and_sizes(tmp_path: Path) -> None:
    _write_yx(tmp_path)
    tables = get_adapter("dominicks")(tmp_path)
    sales = tables["sales"].set_index(["store_id", "item_id", "date"])
    assert sales.loc[("2", "2", pd.Timestamp("1990-06-14")), "price"] == pytest.approx(0.052 * 96)
    assert sales.loc[("5", "11", pd.Timestamp("1990-06-14")), "price"] == pytest.approx(0.03 * 128)
    assert sales.loc[("5", "11", pd.Timestamp("1990-06-14")), "units"] == 7
    promos = tables["promotions"].set_index("promo_id")
    # Weeks 40-41 are one deal; week 42 is missing, so week 43 starts a new one.
    assert promos.loc["deal-2-2-w40", "end_date"] == pd.Timestamp("1990-06-27")
    assert promos.loc["deal-2-2-w43", "start_date"] == pd.Timestamp("1990-07-05")
    assert {"feat-2-2-w41", "feat-2-2-w43"} <= set(promos.index)
    assert set(tables["stores"]["store_id"]) == {"2", "5", "8"}
    assert_contract(tables)


def test_dominicks_taddy_oj_csv(tmp_path: Path) -> None:
    pd.DataFrame({"store": [2, 2, 2], "brand": ["tropicana"] * 3, "week": [40, 41, 42],
                  "logmove": np.log([10.0, 20.0, 30.0]), "feat": [0, 1, 1],
                  "price": [3.87, 3.5, 3.2]}).to_csv(tmp_path / "oj.csv", index=False)
    tables = get_adapter("dominicks")(tmp_path)
    sales = tables["sales"]
    assert sales["units"].tolist() == [10, 20, 30]
    assert sales["on_promo"].tolist() == [0, 1, 1]
    assert tables["promotions"]["promo_id"].tolist() == ["feat-2-tropicana-w41"]
    assert tables["items"].loc[0, "name"] == "Tropicana Premium 64 oz"
    assert_contract(tables)


# ---------------------------------------------------------------- Walmart

@pytest.fixture(scope="module")
def walmart() -> Tables:
    return get_adapter("walmart")(shared_path("walmart_store_sales"))


def test_walmart_counts_and_contract(walmart: Tables) -> None:
    sales = walmart["sales"]
    assert len(sales) == 421_570
    assert series_count(sales) == 3331
    assert (sales["date"].dt.weekday == 5).all()  # the Saturday that starts a Walmart week
    one_frequency_per_store(sales, "W")
    assert (sales["weekly_sales_raw"] < 0).sum() == 1285
    assert (sales["units"] == sales["weekly_sales_raw"].clip(lower=0)).all()
    assert {"temperature", "fuel_price", "cpi", "unemployment",
            *[f"markdown_{k}" for k in range(1, 6)]} <= set(sales.columns)
    assert len(walmart["stores"]) == 45 and walmart["stores"]["size"].notna().all()
    assert_contract(walmart)


def test_walmart_first_row_events_and_markdowns(walmart: Tables) -> None:
    first = walmart["sales"].iloc[0]
    assert (first["store_id"], first["item_id"], first["date"], first["units"]) == (
        "1", "1", pd.Timestamp("2010-01-30"), 24924.50)  # Kaggle's week ending 2010-02-05
    events = walmart["events"].set_index("date")["event"]
    assert events[pd.Timestamp("2010-12-25")] == "christmas"  # Kaggle 2010-12-31
    assert events[pd.Timestamp("2010-11-20")] == "thanksgiving"
    assert set(events) == {"super_bowl", "labor_day", "thanksgiving", "christmas"}
    promos = walmart["promotions"]
    assert (promos["amount_off"] > 0).all() and (promos["category"] == "all_departments").all()
    first_md = promos.iloc[0]
    assert (first_md["promo_id"], first_md["amount_off"]) == ("md1-1-2011-11-05", 10382.90)


def test_walmart_can_keep_kaggle_fridays() -> None:
    sales = walmart_load(shared_path("walmart_store_sales"), week_label="end")["sales"]
    assert sales["date"].min() == pd.Timestamp("2010-02-05")
    assert (sales["date"].dt.weekday == 4).all()


def test_walmart_kaggle_zips_and_cr_line_endings(tmp_path: Path) -> None:
    train = ("Store,Dept,Date,Weekly_Sales,IsHoliday\n"
             "1,1,2010-02-05,100.5,FALSE\n1,1,2010-02-12,-20,TRUE\n"
             "1,2,2010-02-05,5,FALSE\n2,1,2010-02-05,7,FALSE\n")
    with zipfile.ZipFile(tmp_path / "train.csv.zip", "w") as archive:
        archive.writestr("train.csv", train)
    (tmp_path / "features.csv").write_text(
        "Store,Date,Temperature,Fuel_Price,MarkDown1,MarkDown2,MarkDown3,MarkDown4,MarkDown5,"
        "CPI,Unemployment,IsHoliday\n"
        "1,2010-02-05,40,2.5,NA,NA,NA,NA,NA,211,8.1,FALSE\n"
        "1,2010-02-12,38,2.6,500,-3,NA,NA,NA,211,8.1,TRUE\n"
        "2,2010-02-05,41,2.5,NA,NA,NA,NA,NA,212,7.9,FALSE\n")
    (tmp_path / "stores.csv").write_bytes(b"Store,Type,Size\r1,A,151315\r2,B,37392\r")
    tables = get_adapter("walmart")(tmp_path)
    sales = tables["sales"]
    assert len(sales) == 4 and series_count(sales) == 3
    returns = sales[sales["weekly_sales_raw"] < 0].iloc[0]
    assert returns["units"] == 0 and returns["markdown_1"] == 500 and returns["markdown_2"] == -3
    assert tables["stores"].set_index("store_id").loc["2", "type"] == "B"
    promos = tables["promotions"]
    assert promos["promo_id"].tolist() == ["md1-1-2010-02-06"]  # the negative markdown is not one
    assert tables["events"]["event"].tolist() == ["super_bowl"]
    assert_contract(tables)


# ---------------------------------------------------------------- M5

@pytest.fixture(scope="module")
def m5() -> Tables:
    return get_adapter("m5")(shared_path("m5_tiny_subset"))


def test_m5_subset_counts_and_contract(m5: Tables) -> None:
    sales = m5["sales"]
    raw = pd.read_parquet(shared_path("m5_tiny_subset", "tiny_m5.parquet"),
                          columns=["sell_price"])
    assert series_count(sales) == 280
    assert len(sales) == len(raw) - raw["sell_price"].isna().sum() == 454_447
    assert sales["price"].notna().all()  # only pre-launch days lack a price, and they are dropped
    one_frequency_per_store(sales, "D")
    assert set(sales["snap"].unique()) == {0.0, 1.0}
    assert len(m5["items"]) == 28 and set(m5["items"]["category"]) == {"FOODS", "HOBBIES",
                                                                        "HOUSEHOLD"}
    assert m5["stores"].set_index("store_id").loc["TX_2", "name"] == "TX_2 (Texas)"
    events = m5["events"]
    assert ((events["date"] == pd.Timestamp("2011-02-06"))
            & (events["event"] == "SuperBowl (sporting)")).any()
    assert_contract(m5)


def _write_m5_kaggle(folder: Path) -> None:
    days = [f"d_{i}" for i in range(1, 15)]
    calendar = pd.DataFrame({
        "date": pd.date_range("2011-01-29", periods=14).strftime("%Y-%m-%d"),
        "wm_yr_wk": [11101] * 7 + [11102] * 7, "d": days,
        "event_name_1": [None] * 8 + ["SuperBowl"] + [None] * 5,
        "event_type_1": [None] * 8 + ["Sporting"] + [None] * 5,
        "event_name_2": [None] * 2 + ["Easter"] + [None] * 11,
        "event_type_2": [None] * 2 + ["Cultural"] + [None] * 11,
        "snap_CA": [1, 1, 1] + [0] * 11, "snap_TX": [0, 0, 0, 1] + [0] * 10,
        "snap_WI": [0] * 14,
    })
    calendar.to_csv(folder / "calendar.csv", index=False)
    ids = pd.DataFrame({"id": ["a", "b", "c"],
                        "item_id": ["FOODS_1_001", "FOODS_1_001", "HOBBIES_1_002"],
                        "dept_id": ["FOODS_1", "FOODS_1", "HOBBIES_1"],
                        "cat_id": ["FOODS", "FOODS", "HOBBIES"],
                        "store_id": ["CA_1", "TX_1", "CA_1"], "state_id": ["CA", "TX", "CA"]})
    units = pd.DataFrame(np.arange(42).reshape(3, 14), columns=days)
    units.iloc[2, :7] = 0
    pd.concat([ids, units], axis=1).to_csv(folder / "sales_train_evaluation.csv", index=False)
    pd.concat([ids, units.iloc[:, :7]], axis=1).to_csv(folder / "sales_train_validation.csv",
                                                       index=False)
    pd.DataFrame({"store_id": ["CA_1", "CA_1", "TX_1", "TX_1", "CA_1"],
                  "item_id": ["FOODS_1_001", "FOODS_1_001", "FOODS_1_001", "FOODS_1_001",
                              "HOBBIES_1_002"],
                  "wm_yr_wk": [11101, 11102, 11101, 11102, 11102],
                  "sell_price": [2.0, 2.5, 3.0, 3.0, 9.99]}).to_csv(folder / "sell_prices.csv",
                                                                   index=False)


def test_m5_kaggle_wide_layout(tmp_path: Path) -> None:
    _write_m5_kaggle(tmp_path)
    tables = get_adapter("m5")(tmp_path / "calendar.csv")  # any file of the folder will do
    sales = tables["sales"].set_index(["item_id", "store_id", "date"]).sort_index()
    assert len(sales) == 14 + 14 + 7  # evaluation file (14 days); the late item from day 8
    late = sales.loc[("HOBBIES_1_002", "CA_1")]
    assert late.index.min() == pd.Timestamp("2011-02-05") and (late["price"] == 9.99).all()
    assert late["units"].tolist() == list(range(35, 42))
    ca = sales.loc[("FOODS_1_001", "CA_1")]
    assert ca["price"].tolist() == [2.0] * 7 + [2.5] * 7
    assert ca["snap"].tolist()[:4] == [1, 1, 1, 0]
    assert sales.loc[("FOODS_1_001", "TX_1"), "snap"].tolist()[:5] == [0, 0, 0, 1, 0]
    assert tables["events"]["event"].tolist() == ["Easter (cultural)", "SuperBowl (sporting)"]
    assert_contract(tables)


# ---------------------------------------------------------------- Online Retail

@pytest.fixture(scope="module")
def online_retail() -> Tables:
    return get_adapter("online-retail")(shared_path("uci_online_retail"))


def test_online_retail_orders(online_retail: Tables) -> None:
    orders = online_retail["orders"]
    assert len(orders) == 541_909
    assert orders["customer_id"].isna().sum() == 135_080
    assert orders["order_id"].nunique() == 25_900
    assert orders["customer_id"].nunique() == 4_372
    cancelled = orders["order_id"].str.startswith("C")
    assert cancelled.sum() == 9_288 and (orders.loc[cancelled, "quantity"] < 0).all()
    first = orders.iloc[0]
    assert (first["order_id"], first["line"], first["customer_id"], first["item_id"]) == (
        "536365", 1.0, "17850", "85123A")
    assert first["timestamp"] == pd.Timestamp("2010-12-01 08:26")
    assert orders.loc[orders["order_id"] == "536365", "line"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert (orders["store_id"] == "online").all()
    items = online_retail["items"].set_index("item_id")
    assert len(items) == 4_070
    assert items.loc["85123A", "name"] == "WHITE HANGING HEART T-LIGHT HOLDER"


def test_online_retail_sales_and_contract(online_retail: Tables) -> None:
    sales, orders = online_retail["sales"], online_retail["orders"]
    assert sales["units"].sum() == orders.loc[orders["quantity"] > 0, "quantity"].sum()
    assert (sales["units"] > 0).all()
    one_frequency_per_store(sales, "D")
    day = sales.set_index(["date", "item_id"]).loc[(pd.Timestamp("2010-12-01"), "85123A")]
    lines = orders[(orders["timestamp"].dt.normalize() == "2010-12-01")
                   & (orders["item_id"] == "85123A") & (orders["quantity"] > 0)]
    assert day["units"] == lines["quantity"].sum()
    assert day["price"] == pytest.approx((lines["quantity"] * lines["unit_price"]).sum()
                                         / lines["quantity"].sum())
    assert_contract(online_retail)


def test_online_retail_kaggle_csv(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "536365,85123A,HEART HOLDER,6,12/1/2010 8:26,2.55,17850.0,United Kingdom\n"
        "536365,85123A,HEART HOLDER,2,12/1/2010 8:26,2.00,17850.0,United Kingdom\n"
        "536366,22633,HAND WARMER,6,12/1/2010 8:28,0,,United Kingdom\n"
        "C536379,85123A,,-1,12/2/2010 9:41,2.55,14527.0,United Kingdom\n",
        encoding="utf-8")
    tables = get_adapter("online-retail")(tmp_path)
    orders = tables["orders"]
    assert orders["line"].tolist() == [1, 2, 1, 1]
    assert orders["customer_id"].tolist() == ["17850", "17850", None, "14527"]
    assert orders["timestamp"].iloc[3] == pd.Timestamp("2010-12-02 09:41")
    sales = tables["sales"].set_index("item_id")
    assert sales.loc["85123A", "units"] == 8  # the cancellation is a return, not demand
    assert sales.loc["85123A", "price"] == pytest.approx((6 * 2.55 + 2 * 2.0) / 8)
    assert np.isnan(sales.loc["22633", "price"])  # a free line sets no price
    assert tables["items"].set_index("item_id").loc["85123A", "name"] == "HEART HOLDER"
    assert_contract(tables)


def test_online_retail_ii_workbook_with_overlapping_sheets(tmp_path: Path) -> None:
    columns = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price",
               "Customer ID", "Country"]
    first = pd.DataFrame([["489434", "85048", "ROSE LAMP", 12, pd.Timestamp("2009-12-01 07:45"),
                           6.95, 13085.0, "United Kingdom"],
                          ["536365", "71053", "LANTERN", 6, pd.Timestamp("2010-12-01 08:26"),
                           3.39, 17850.0, "United Kingdom"]], columns=columns)
    second = first.iloc[[1]]
    with pd.ExcelWriter(tmp_path / "online_retail_II.xlsx") as writer:
        first.to_excel(writer, sheet_name="Year 2009-2010", index=False)
        second.to_excel(writer, sheet_name="Year 2010-2011", index=False)
    tables = get_adapter("online-retail")(tmp_path)
    assert tables["orders"]["order_id"].tolist() == ["489434", "536365"]
    assert tables["orders"]["customer_id"].tolist() == ["13085", "17850"]
    assert_contract(tables)


# ---------------------------------------------------------------- Stallion

@pytest.fixture(scope="module")
def stallion() -> Tables:
    return get_adapter("stallion")(shared_path("stallion_beverage"))


def test_stallion_counts_and_contract(stallion: Tables) -> None:
    sales = stallion["sales"]
    assert len(sales) == 21_000 and series_count(sales) == 350
    assert (sales["date"].dt.day == 1).all()
    one_frequency_per_store(sales, "MS")
    assert sales["price"].isna().sum() > 0  # price_actual <= 0 is no price
    assert sales["discount_pct"].dropna().between(0, 100).all()
    assert {"industry_volume", "soda_volume", "avg_max_temp"} <= set(sales.columns)
    events = stallion["events"]
    assert ((events["date"] == pd.Timestamp("2013-01-01")) & (events["event"] == "new_year")).any()
    assert (events["store_id"] == "all").all()
    assert_contract(stallion)


def test_stallion_exact_values(stallion: Tables) -> None:
    raw = pd.read_parquet(shared_path("stallion_beverage", "stallion.parquet"))
    row = raw[(raw["agency"] == "Agency_22") & (raw["sku"] == "SKU_01")
              & (raw["date"] == "2013-01-01")].iloc[0]
    sales = stallion["sales"].set_index(["store_id", "item_id", "date"])
    got = sales.loc[("Agency_22", "SKU_01", pd.Timestamp("2013-01-01"))]
    assert got["units"] == pytest.approx(row["volume"]) == pytest.approx(52.272)
    assert got["price"] == pytest.approx(row["price_actual"])
    assert got["base_price"] == pytest.approx(row["price_regular"])
    assert got["on_promo"] == 1.0
    assert got["discount_pct"] == pytest.approx(row["discount_in_percent"])


def test_stallion_kaggle_csvs(tmp_path: Path) -> None:
    months = ["201301", "201302"]
    pd.DataFrame({"Agency": ["Agency_01"] * 2 + ["Agency_02"] * 2, "SKU": ["SKU_01"] * 4,
                  "YearMonth": months * 2, "Volume": [10.0, -1.0, 5.0, 0.0]}).to_csv(
        tmp_path / "historical_volume.csv", index=False)
    pd.DataFrame({"Agency": ["Agency_01"] * 2 + ["Agency_02"] * 2, "SKU": ["SKU_01"] * 4,
                  "YearMonth": months * 2, "Price": [100.0, 100.0, 0.0, 100.0],
                  "Sales": [90.0, 100.0, 0.0, -5.0], "Promotions": [10.0, 0.0, 0.0, 105.0]}
                 ).to_csv(tmp_path / "price_sales_promotion.csv", index=False)
    pd.DataFrame({"YearMonth": months, "Easter Day": [0, 0], "New Year": [1, 0],
                  "Regional Games ": [0, 0], "FIFA U-17 World Cup": [0, 1]}).to_csv(
        tmp_path / "event_calendar.csv", index=False)
    pd.DataFrame({"YearMonth": months, "Industry_Volume": [1e8, 2e8]}).to_csv(
        tmp_path / "industry_volume.csv", index=False)
    pd.DataFrame({"Agency": ["Agency_01", "Agency_02"], "Avg_Population_2017": [1e5, 2e5],
                  "Avg_Yearly_Household_Income_2017": [9e4, 8e4]}).to_csv(
        tmp_path / "demographics.csv", index=False)
    tables = get_adapter("stallion")(tmp_path / "historical_volume.csv")
    sales = tables["sales"]
    assert sales["units"].tolist() == [10.0, 0.0, 5.0, 0.0]  # -1 clipped
    assert sales["price"].tolist()[:2] == [90.0, 100.0] and sales["price"].iloc[2:].isna().all()
    assert sales["on_promo"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert sales["discount_pct"].iloc[0] == pytest.approx(10.0)
    assert sales["avg_population_2017"].tolist() == [1e5, 1e5, 2e5, 2e5]
    assert set(zip(tables["events"]["date"].dt.strftime("%Y-%m"), tables["events"]["event"],
                   strict=True)) == {("2013-01", "new_year"), ("2013-02", "fifa_u_17_world_cup")}
    assert_contract(tables)


# ---------------------------------------------------------------- Dominick's canned tuna

@pytest.fixture(scope="module")
def tuna() -> Tables:
    return get_adapter("tuna")(shared_path("bayesm_cheese_tuna"))


def test_tuna_counts_and_contract(tuna: Tables) -> None:
    sales = tuna["sales"]
    # 338 weeks x 7 brands of one chain; weeks 1..398 with gaps (left as gaps)
    assert len(sales) == 338 * 7 and series_count(sales) == 7
    assert (sales["store_id"] == "chain").all()
    assert (sales["date"].dt.dayofweek == 3).all()  # Dominick's weeks start on a Thursday
    assert sales["date"].min() == pd.Timestamp("1989-09-14")
    assert sales["date"].max() == pd.Timestamp("1989-09-14") + pd.Timedelta(weeks=397)
    assert {f"price_{b}" for b in range(1, 8)} <= set(sales.columns)
    assert {"wholesale_price", "display_share", "customers"} <= set(sales.columns)
    assert tuna["items"]["unit_cost"].between(0.1, 10).all()
    assert_contract(tuna)


def test_tuna_exact_values_and_display_runs(tuna: Tables) -> None:
    raw = pd.read_csv(shared_path("bayesm_cheese_tuna", "tuna.csv"))
    first = raw.iloc[0]
    sales = tuna["sales"].set_index(["item_id", "date"])
    got = sales.loc[("2", pd.Timestamp("1989-09-14"))]
    assert got["units"] == first["MOVE2"] == 7152
    assert got["price"] == pytest.approx(np.exp(first["LPRICE2"]))
    assert got["price_1"] == pytest.approx(np.exp(first["LPRICE1"]))
    assert got["wholesale_price"] == pytest.approx(np.exp(first["LWHPRIC2"]))
    # every week with display activity lies in exactly one display promotion of its brand
    shown = tuna["sales"][tuna["sales"]["display_share"] > 0]
    assert (shown["on_promo"] == 1).all() and shown["promo_id"].notna().all()
    promos = tuna["promotions"].set_index("promo_id").loc[shown["promo_id"]]
    assert (promos["item_id"].to_numpy() == shown["item_id"].to_numpy()).all()
    assert ((promos["start_date"].to_numpy() <= shown["date"].to_numpy())
            & (shown["date"].to_numpy() <= promos["end_date"].to_numpy())).all()
    assert (tuna["promotions"]["promo_type"] == "feature_display").all()
    quiet = tuna["sales"][tuna["sales"]["display_share"] == 0]
    assert (quiet["on_promo"] == 0).all() and quiet["promo_id"].isna().all()


def test_is_monthly_tells_month_shops_from_day_and_week_shops() -> None:
    from promocast.data.frequency import is_monthly

    assert [is_monthly(f) for f in ("MS", "M", "D", "W", "W-THU", None)] == [
        True, True, False, False, False, False]
