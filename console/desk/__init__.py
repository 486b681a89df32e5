"""The duty desk 值班台 without Panel state: rows, marks, the case view and its components."""
