"""Why a forecast is what it is: SHAP drivers of the global LightGBM forecast
(``promocast.explain.drivers``)."""
