import { createTransport } from 'nodemailer';

export interface Email {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** `<…@…>`: the same for every attempt at one batch, so a receiver can drop a duplicate delivery. */
  messageId: string;
}

/** Where emails go: SMTP in production, anything shaped like it in tests. */
export interface Mailer {
  send(email: Email): Promise<void>;
  close(): void;
}

/** Sends through the SMTP server named by `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…`). */
export const smtpMailer = (url: string): Mailer => {
  const transport = createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(email) {
      await transport.sendMail(email);
    },
    close() {
      transport.close();
    },
  };
};
