package ocop

// Notification kinds of trade-fair bookings (see internal/events, which
// raises them, and the booking.* e-mail templates of internal/notify).
const (
	NotifyBookingReceived     NotificationKind = "booking.received"
	NotifyBookingConfirmed    NotificationKind = "booking.confirmed"
	NotifyBookingRejected     NotificationKind = "booking.rejected"
	NotifyBookingCancelled    NotificationKind = "booking.cancelled"
	NotifyBookingHoldExpiring NotificationKind = "booking.hold_expiring"
	NotifyBookingHoldExpired  NotificationKind = "booking.hold_expired"
	NotifyBookingOffer        NotificationKind = "booking.waitlist_offer"
	NotifyBookingOfferLapsed  NotificationKind = "booking.offer_lapsed"
	NotifyEventCancelled      NotificationKind = "booking.event_cancelled"
)
