/* The seed catalog's SKU and service plan ids (Microsoft's own), shared by the licensing suites
 * so that both speak of the same E1, E3 and plans. */
#ifndef LICENSINGD_TEST_SEED_IDS_H
#define LICENSINGD_TEST_SEED_IDS_H

#define E1 "18181a46-0d4e-45cd-891e-60aabd171b4e"
#define E3 "6fd2c87f-b296-42f0-b197-1e91e994b900"
#define EMS "efccb6f7-5641-4e0e-bd10-b4976e1bf68e"
#define WA "3d957427-ecdc-4df2-aacd-01cc9d519da8"
#define AUDIO "0c266dff-15dd-4b49-8397-2bb16070ed52"
#define EXO1 "9aaf7827-d63c-4b61-89c3-182f06f82e5c"
#define EXO2 "efb87545-963c-4e0d-99df-69c6916d9eb0"
#define SPO1 "c7699d2e-19aa-44de-8edf-1736da088ca1"
#define SPO2 "5dbe027f-2339-4123-9542-606e4d348a72"
#define TEAMS "57ff2da0-773e-42df-b2af-ffb7a2317929"
#define WAP "f477b0f0-3bb1-4890-940c-40fcee6ce05f"
#define MCOSTD "0feaeb32-d00e-4d66-bd5a-43b5b83db82c"
#define AUDIOP "3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40"
#define INTUNE "c1ec4a95-1f05-45b3-a911-aa3fa01094f5"

#endif
