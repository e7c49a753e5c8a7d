"""The send pipeline (../shared/design/send-pipeline.md): accept, compose, dispatch,
outcomes and reports, the rollups that outcomes keep."""
