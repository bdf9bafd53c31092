"""AI conversations: private, streamed, resumable and forkable conversations with Gemini (issue #8)."""
