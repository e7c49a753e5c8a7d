"""NHN Cloud's KakaoTalk Bizmessage API (AlimTalk, Brand Message, templates, sender profiles):
what megabird's Kakao dealer adapter will speak. So far only the local server that speaks it
(dealer_server.py, for tests and for trying it); what the guide says and where it is silent is
in docs/research/nhn-bizmessage.md."""
