package ocop

// Notification kinds of fair meetings (see internal/meetings, which raises
// them, and the meeting.* e-mail templates of internal/notify).
const (
	NotifyMeetingRequested       NotificationKind = "meeting.requested"
	NotifyMeetingAccepted        NotificationKind = "meeting.accepted"
	NotifyMeetingDeclined        NotificationKind = "meeting.declined"
	NotifyMeetingCancelled       NotificationKind = "meeting.cancelled"
	NotifyMeetingExpired         NotificationKind = "meeting.expired"
	NotifyMeetingRequestExpiring NotificationKind = "meeting.request_expiring"
	NotifyMeetingReminder        NotificationKind = "meeting.reminder"
)
