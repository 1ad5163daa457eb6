"""Messages between the foundry and contributors: notices to one contributor, announcements
to a project's contributors, questions on an item and their answers (which may join the
guidelines' FAQ), an in-app inbox, and e-mail through SMTP when it is configured."""
