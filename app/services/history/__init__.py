"""발송내역 (05-results.md): reading sends and messages, exports, deletion and the
retention purge."""
