"""Display units shared by tables and figures: one home for the scale a reader sees (shares and effects in %)."""

PERCENT = 100.0  # a share or a relative change of 0.01 reads as 1 %
