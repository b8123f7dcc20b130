import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  description:
    'A pending TOTP enrolment: show the QR code (or the secret), then confirm it with confirmTotp and a first code.',
})
export class TotpEnrollment {
  @Field(() => String, {
    description: 'The secret in base32, for an authenticator app that cannot scan.',
  })
  secret!: string;

  @Field(() => String, {
    description:
      'otpauth://totp/<issuer>:<username>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30',
  })
  otpauthUri!: string;

  @Field(() => String, { description: 'otpauthUri as a QR code: an SVG document.' })
  qrSvg!: string;
}
