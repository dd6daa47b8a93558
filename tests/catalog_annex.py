"""The annex table of the January 2026 dispatch, typed in from ``shared/seeds/`` by hand.

Kept apart from the packaged seed file on purpose: the tests compare the two.
"""

# The annex of the January 2026 dispatch, verbatim (note "GVPT15" without a space).
ANNEX = (
    "STT\tCấp học\tĐối tượng\tMô đun\tsố tiết\tMã mô đun BDTX tương ứng\n"
    "1\tMN\tGV\tQuản lý cảm xúc bản thân của người GVMN trong hoạt động nghề nghiệp\t20\tGVMN 2\n"
    "2\tMN\tGV\tPhát triển Chương trình GDMN phù hợp với sự phát triển của trẻ em và bối cảnh địa phương\t20\tGVMN 7\n"  # noqa: E501
    "3\tMN\tGV\tPhát hiện, sàng lọc và tổ chức các hoạt động chăm sóc, giáo dục đáp ứng trẻ em có nhu cầu đặc biệt\t20\tGVMN 21\n"  # noqa: E501
    "4\tMN\tGV\tỨng dụng công nghệ thông tin (CNTT) để nâng cao chất lượng chăm sóc, giáo dục trẻ em trong cơ sở GDMN\t20\tGVMN 33\n"  # noqa: E501
    "5\tMN\tGV\tGiáo dục kỹ luật tích cực cho trẻ em lứa tuổi mầm non\t40\tGVMN 25\n"
    "6\tMN\tCBQL\tQuản trị việc xây dựng môi trường giáo dục an toàn, lành mạnh, thân thiện trong cơ sở GDMN\t20\tQLMN 29\n"  # noqa: E501
    "7\tMN\tCBQL\tTổ chức sinh hoạt chuyên môn hiệu quả ở cơ sở GDMN\t20\tQLMN 8\n"
    "8\tMN\tCBQL\tQuản trị cơ sở vật chất, trang thiết bị trong trường mầm non đáp ứng được yêu cầu đổi mới giáo dục\t20\tQLMN 24\n"  # noqa: E501
    "9\tMN\tCBQL\tTổ chức công tác giáo dục hòa nhập trẻ khuyết tật trong cơ sở GDMN\t20\tQLMN 17\n"
    "10\tMN\tCBQL\tQuản lý và giải quyết các xung đột trong cơ sở GDMN và với cha mẹ trẻ mầm non\t20\tQLMN 10\n"  # noqa: E501
    "11\tPhổ thông, GDTX\tGV\tỨng dụng CNTT khai thác và sử dụng thiết bị công nghệ trong dạy học và giáo dục học sinh phổ thông\t40\tGVPT15\n"  # noqa: E501
    "12\tPhổ thông, GDTX\tCBQL\tỨng dụng CNTT trong quản lý nhà trường\t40\tQLPT 18\n"
)
