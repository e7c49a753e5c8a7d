"""Kakao AlimTalk and 친구톡 (06-kakao.md): templates and their review, Kakao sends and
their fallback. Empty until issues [5/11]–[7/11]."""
