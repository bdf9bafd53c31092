"""Goals with friends: targets, participants, check-ins and streaks, memories, an AI coach and nudges (issue #10)."""
