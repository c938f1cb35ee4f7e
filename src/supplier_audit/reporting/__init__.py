"""Reporting: the tables people read (frames, labels) and the workbooks that show them (the
purchaser's risk report, the QA sample list), made safe, readable and printable."""
