"""Features: known-ahead inputs of the forecasters, as pure functions over data frames.

``calendar`` builds the event calendar (public holidays, China's make-up workdays, shopping
festivals, the shop's own events) and turns it into run-up / hangover features; ``exogenous``
adds price, promotion and calendar columns to the long forecasting frame.
"""
