"""Reading, validating and storing a shop's data (the only home of DuckDB is ``storage``)."""
