"""Pre-order pages (DESIGN.md §2 stages 1–2), by use-case: inquiries (needs capture and
notes), quotations (lines, terms, internal review), contracts (legal review, signing), and
common (refusals, PDF and file responses).

Each view parses a form, calls one service and redirects; when the service refuses with
field errors, the page is shown again with the input kept and the errors next to the
fields. Reads go through the selectors, so a page costs a fixed number of queries."""
