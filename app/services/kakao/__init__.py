"""Kakao AlimTalk and 친구톡 (06-kakao.md): templates and their review (`templates`), AlimTalk
sends with their fallback (`alimtalk_sends`: accept, and the steps it plugs into the send
pipeline) and the compose page's side of them (`alimtalk_compose`). 친구톡 as Brand Message
comes with issue [7/11]."""
