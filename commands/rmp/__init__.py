"""The Relationship Management Plan: setup, people, objectives, KPIs, risks, actions, exit, history."""
