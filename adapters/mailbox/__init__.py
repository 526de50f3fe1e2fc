"""Mailbox clients for the pollers: IMAP (imapclient), implementing domain.ports.MailboxClient."""
