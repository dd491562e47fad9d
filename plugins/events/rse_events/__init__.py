"""rse-events: one-off and recurring events, RSVPs with a waiting list, reminders and
iCalendar feeds."""
