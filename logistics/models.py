# Carriers, shipments and tracking arrive with the shipping work (DESIGN.md §2.6).
