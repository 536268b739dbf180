"""promocast.inventory: stock decisions from quantile forecasts.

``leadtime`` turns each period's quantile forecast into demand paths (a Gaussian copula whose
calibration and day-to-day correlation are measured on past forecast errors); ``policy`` sets
safety stock, reorder point, order-up-to level, order quantity, days of cover, stock-out risk
and the newsvendor quantity from them; ``replay`` runs the policy day by day over held-out
folds with the demand that came. Pure functions over arrays and data frames: no storage.
"""
