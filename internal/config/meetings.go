package config

import "time"

func (c *Config) validateMeetings(bad func(field, format string, args ...any)) {
	if c.MeetingsSweepInterval < time.Second {
		bad("MeetingsSweepInterval", "must be at least 1s")
	}
	if c.MeetingRequestWarning < 0 {
		bad("MeetingRequestWarning", "must not be negative")
	}
	if c.MeetingReminderBefore < 0 {
		bad("MeetingReminderBefore", "must not be negative")
	}
	if c.RegistrationCodeSecret != "" && len(c.RegistrationCodeSecret) < 32 {
		bad("RegistrationCodeSecret", "must be at least 32 bytes long")
	}
}
