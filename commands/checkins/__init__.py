"""Check-ins: scheduled rounds of KPI values and behaviour and trust ratings from each party."""
