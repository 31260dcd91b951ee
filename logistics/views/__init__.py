"""Pages of the warehouse and logistics (DESIGN.md §2.6): validate a form, call one
service (logistics/services), render. Reads go through logistics/selectors.py, so a page
costs a fixed number of queries however many rows it shows."""
