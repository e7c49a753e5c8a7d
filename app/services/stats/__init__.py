"""대시보드 and 발송통계 (07-dashboard-stats.md), read from the rollups only."""
