"""The Slack bot: the bolt App and its lifetime (bot), what it does with each request
(handlers), how an answer looks in Slack (blocks), and the memory of events already taken
(dedupe). Its HTTP endpoint is server/routes/slack.py."""
