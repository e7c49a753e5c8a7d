"""발신정보 (03-senders.md): sender numbers and Kakao channels, and whether one is
approved to send."""
